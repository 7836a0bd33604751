import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { WorklistItemView, WorklistPage } from '../../backend/src/contracts/worklist.js';
import { DEMO_HOSPITALS } from '../../backend/src/seed/demo-network.js';
import { apiCall, apiLogin } from '../api.js';
import { launchBrowser, submitSignIn } from '../browser.js';

const webUrl = inject('webUrl');
const ADMIN = 'admin@teleread.demo';
const NEURO = 'dr.neuro@teleread.demo';
const NEURO_NAME = 'Dr. Nadia Okafor';
const ST_MARYS = DEMO_HOSPITALS.find((h) => h.key === 'stmary')!;
let browser: Browser;
const contexts: BrowserContext[] = [];
/** Put back at the end, so later files see the demo network as seeded. */
const undo: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  for (const step of undo.reverse()) await step().catch(() => undefined);
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
});

/** A new browser signed in as the admin, on `path`. */
async function openAsAdmin(path: string): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(`${webUrl}/login?next=${encodeURIComponent(path)}`);
  await submitSignIn(page, ADMIN);
  await page.waitForURL((url) => url.pathname === path.split('?')[0]);
  return page;
}

describe('admin', () => {
  it("changes a hospital's STAT turnaround in the settings form, and it is kept after a reload", async () => {
    const admin = await apiLogin(ADMIN);
    const hospitals = await apiCall<{ id: string; name: string; slaStatMinutes: number }[]>(admin.token, 'GET', '/api/hospitals');
    const hospital = hospitals.body.find((h) => h.name === ST_MARYS.name)!;
    expect(hospital.slaStatMinutes).toBe(ST_MARYS.sla[0]);
    undo.push(() => apiCall(admin.token, 'PATCH', `/api/hospitals/${hospital.id}`, { slaStatMinutes: ST_MARYS.sla[0] }));
    const minutes = ST_MARYS.sla[0] + 7;

    const page = await openAsAdmin('/admin?tab=hospitals');
    const row = page.locator(`[data-testid="hospital-row"][data-id="${hospital.id}"]`);
    await row.getByRole('button', { name: 'Settings' }).click();
    const form = page.getByTestId('hospital-settings');
    await form.locator('input[name="slaStatMinutes"]').fill(String(minutes));
    await form.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(() => form.getByTestId('form-ok').textContent().catch(() => '')).toMatch(/saved/i);

    await page.reload();
    await expect.poll(() => row.locator('td').nth(4).textContent().catch(() => '')).toBe(`${minutes} min`);
    await row.getByRole('button', { name: 'Settings' }).click();
    expect(await page.getByTestId('hospital-settings').locator('input[name="slaStatMinutes"]').inputValue()).toBe(String(minutes));
    const stored = await apiCall<{ slaStatMinutes: number }>(admin.token, 'GET', `/api/hospitals/${hospital.id}`);
    expect(stored.body.slaStatMinutes).toBe(minutes);
  });

  it('reassigns a case to a radiologist from the worklist; an ineligible pick shows the server\'s reason inline', async () => {
    const admin = await apiLogin(ADMIN);
    const neuro = await apiLogin(NEURO);
    const open = await apiCall<WorklistPage>(neuro.token, 'GET', '/api/worklist?limit=500&state=UNREAD&sort=received');
    const target = open.body.items.at(-1) as WorklistItemView;
    expect(target, 'an unread case Dr. Neuro may read').toBeDefined();
    undo.push(() => apiCall(admin.token, 'POST', `/api/worklist/${target.id}/release`));
    // Lakeside (NY): Dr. Neuro holds no New York license.
    const all = await apiCall<WorklistPage>(admin.token, 'GET', '/api/worklist?limit=500&state=UNREAD');
    const lakeside = all.body.items.find((i) => i.hospitalName.startsWith('Lakeside'));
    expect(lakeside, 'an unread Lakeside case').toBeDefined();

    const page = await openAsAdmin('/worklist');
    await page.waitForSelector('[data-testid="worklist-row"]');
    const reassign = async (item: WorklistItemView) => {
      const row = page.locator(`[data-testid="worklist-row"][data-id="${item.id}"]`);
      await row.getByRole('button', { name: 'Reassign' }).click();
      await page.getByTestId('reassign-picker').locator('select[name="reassignTo"]').selectOption({ label: NEURO_NAME });
      await page.getByTestId('reassign-picker').getByRole('button', { name: 'Assign' }).click();
      return row;
    };

    const refused = await reassign(lakeside!);
    await expect.poll(() => page.getByTestId('action-error').first().textContent().catch(() => '')).toMatch(/no license for NY/);
    expect(await refused.getAttribute('data-state')).toBe('UNREAD');

    const row = await reassign(target);
    await expect.poll(() => row.locator('[data-testid="claimant"]').textContent().catch(() => '')).toBe(NEURO_NAME);
    expect(await row.getAttribute('data-state')).toBe('CLAIMED');
    const now = await apiCall<WorklistItemView>(admin.token, 'GET', `/api/worklist/${target.id}`);
    expect(now.body).toMatchObject({ state: 'CLAIMED', claimedBy: neuro.userId, claimSource: 'REASSIGN' });
  });
});
