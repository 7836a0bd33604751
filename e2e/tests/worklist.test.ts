import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { WorklistItemView, WorklistPage } from '../../backend/src/contracts/worklist.js';
import { apiCall, apiLogin } from '../api.js';
import { launchBrowser, submitSignIn } from '../browser.js';

const webUrl = inject('webUrl');
let browser: Browser;
const contexts: BrowserContext[] = [];

// Dr. Neuro (St. Mary's, Pacific; NEURO + GENERAL) and Dr. MSK (Pacific, Lakeside; MSK… + GENERAL)
// can both read Pacific's general cases.
const NEURO = 'dr.neuro@teleread.demo';
const MSK = 'dr.msk@teleread.demo';
const RANK = { STAT: 0, URGENT: 1, ROUTINE: 2 } as const;
/** "Live" means without a reload, within about two seconds. */
const LIVE_MS = 2500;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
});

async function worklistOf(token: string, query = ''): Promise<WorklistItemView[]> {
  const res = await apiCall<WorklistPage>(token, 'GET', `/api/worklist?limit=500${query}`);
  expect(res.status).toBe(200);
  return res.body.items;
}

/** A new browser (own storage) signed in as `email`, on the worklist, live. */
async function openWorklist(email: string, path = '/worklist'): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(`${webUrl}/login?next=${encodeURIComponent(path)}`);
  await submitSignIn(page, email);
  await page.waitForURL((url) => url.pathname === '/worklist');
  await page.waitForSelector('[data-testid="worklist-row"], [data-testid="worklist-empty"]');
  await page.waitForSelector('[data-testid="live-status"][data-state="live"]', { timeout: 10_000 });
  return page;
}

const row = (page: Page, id: string) => page.locator(`[data-testid="worklist-row"][data-id="${id}"]`);
const claimantOf = (page: Page, id: string) =>
  row(page, id)
    .locator('[data-testid="claimant"]')
    .textContent({ timeout: 200 })
    .catch(() => null);

describe('worklist page', () => {
  it('shows a radiologist their cases, STAT first, with the routing reason and live clocks', async () => {
    const page = await openWorklist(NEURO);
    const priorities = await page.$$eval('[data-testid="worklist-row"]', (els) => els.map((e) => e.getAttribute('data-priority') ?? ''));
    expect(priorities.length).toBeGreaterThan(0);
    expect(priorities[0]).toBe('STAT');
    const ranks = priorities.map((p) => RANK[p as keyof typeof RANK]);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(await page.locator('[data-testid="routing-reason"]').count()).toBeGreaterThan(0);
    const clock = (await page.locator('[data-testid="time-left"]').first().textContent()) ?? '';
    expect(clock).toMatch(/\d+(s|m|h|d)|overdue|breached/);
    expect(Number(await page.locator('[data-testid="count-STAT"] .count-value').textContent())).toBeGreaterThan(0);
  });

  it('claim shows "You" and reaches another radiologist live; a stale claim gets the server\'s 409; release returns it', async () => {
    const neuro = await apiLogin(NEURO);
    const msk = await apiLogin(MSK);
    const mskIds = new Set((await worklistOf(msk.token, '&state=UNREAD')).map((i) => i.id));
    const shared = (await worklistOf(neuro.token, '&state=UNREAD')).find((i) => mskIds.has(i.id));
    expect(shared, 'a case both Dr. Neuro and Dr. MSK may read').toBeDefined();
    const id = shared!.id;

    const a = await openWorklist(NEURO);
    const b = await openWorklist(MSK);
    await row(a, id).getByRole('button', { name: 'Claim' }).click();
    await expect.poll(() => claimantOf(a, id)).toBe('You');
    // B did not reload: the claim arrives over the socket.
    await expect.poll(() => claimantOf(b, id), { timeout: LIVE_MS, interval: 100 }).toBe('Dr. Nadia Okafor');
    expect(await row(b, id).getByRole('button', { name: 'Claim' }).count()).toBe(0);

    // B with a stale copy (the list answered before the claim) tries to claim: the server's message, inline.
    await b.route('**/api/worklist?*', async (route) => {
      const res = await route.fetch();
      const page = (await res.json()) as WorklistPage;
      for (const item of page.items) if (item.id === id) Object.assign(item, { state: 'UNREAD', claimedBy: null, claimedByName: null, claimSource: null });
      await route.fulfill({ response: res, json: page });
    });
    await b.getByRole('button', { name: 'Refresh' }).click();
    await row(b, id).getByRole('button', { name: 'Claim' }).waitFor();
    await b.unroute('**/api/worklist?*');
    await row(b, id).getByRole('button', { name: 'Claim' }).click();
    await expect.poll(() => b.locator('[data-testid="action-error"]').first().textContent().catch(() => '')).toMatch(/another radiologist is reading this case/i);
    await expect.poll(() => claimantOf(b, id)).toBe('Dr. Nadia Okafor');

    await row(a, id).getByRole('button', { name: 'Release' }).click();
    await expect.poll(() => claimantOf(a, id)).toBe(null);
    await row(a, id).getByRole('button', { name: 'Claim' }).waitFor();
    await row(b, id).getByRole('button', { name: 'Claim' }).waitFor({ timeout: LIVE_MS });
    expect(await row(b, id).getAttribute('data-state')).toBe('UNREAD');
  });

  it('Next case claims the most urgent waiting case and opens it in the viewer', async () => {
    const neuro = await apiLogin(NEURO);
    const [expected] = await worklistOf(neuro.token, '&state=UNREAD&sort=urgency');
    expect(expected).toBeDefined();
    const page = await openWorklist(NEURO);
    await page.getByTestId('next-case').click();
    await page.waitForURL((url) => url.pathname.startsWith('/viewer/'));
    expect(decodeURIComponent(new URL(page.url()).pathname.slice('/viewer/'.length))).toBe(expected.studyInstanceUid);
    const now = await apiCall<WorklistItemView>(neuro.token, 'GET', `/api/worklist/${expected.id}`);
    expect(now.body).toMatchObject({ state: 'CLAIMED', claimedBy: neuro.userId });
    // Back on the list it is shown as ours; give it back for the other tests.
    await page.goto(`${webUrl}/worklist`);
    await expect.poll(() => claimantOf(page, expected.id)).toBe('You');
    expect((await apiCall(neuro.token, 'POST', `/api/worklist/${expected.id}/release`)).status).toBe(200);
    await expect.poll(() => claimantOf(page, expected.id), { timeout: LIVE_MS }).toBe(null);
  });

  it('a filter narrows the list, is in the URL and survives a reload', async () => {
    const page = await openWorklist(NEURO);
    const all = await page.locator('[data-testid="worklist-row"]').count();
    const modalities = await page.$$eval('[data-testid="worklist-row"]', (els) => els.map((e) => e.getAttribute('data-modality')));
    expect(new Set(modalities).size, 'cases of more than one modality').toBeGreaterThan(1);
    await page.selectOption('select[name="modality"]', 'CT');
    await page.waitForURL((url) => url.searchParams.get('modality') === 'CT');
    const onlyCt = async () => {
      const mods = await page.$$eval('[data-testid="worklist-row"]', (els) => els.map((e) => e.getAttribute('data-modality')));
      return mods.length > 0 && mods.length < all && mods.every((m) => m === 'CT');
    };
    await expect.poll(onlyCt).toBe(true);
    await page.reload();
    await page.waitForSelector('[data-testid="worklist-row"]');
    expect(await page.inputValue('select[name="modality"]')).toBe('CT');
    await expect.poll(onlyCt).toBe(true);
  });

  it('an assignment arrives as a notification with a count in the top bar', async () => {
    const admin = await apiLogin('admin@teleread.demo');
    const neuro = await apiLogin(NEURO);
    const [target] = await worklistOf(neuro.token, '&state=UNREAD&sort=received');
    expect(target).toBeDefined();
    const page = await openWorklist(NEURO);
    const before = Number((await page.getByTestId('notification-count').textContent({ timeout: 500 }).catch(() => '0')) ?? '0');
    const res = await apiCall(admin.token, 'POST', `/api/worklist/${target.id}/reassign`, { userId: neuro.userId });
    expect(res.status).toBe(200);
    await expect.poll(() => page.getByTestId('toast').first().textContent().catch(() => ''), { timeout: LIVE_MS }).toMatch(/assigned to you/i);
    await expect.poll(() => page.getByTestId('notification-count').textContent().catch(() => '0')).toBe(String(before + 1));
    await expect.poll(() => claimantOf(page, target.id), { timeout: LIVE_MS }).toMatch(/you/i);
    // Unread survives a reload; opening it from the bell marks it read.
    await page.reload();
    await expect.poll(() => page.getByTestId('notification-count').textContent().catch(() => '0')).toBe(String(before + 1));
    await page.getByTestId('notification-bell').click();
    await page.getByTestId('notification-item').filter({ hasText: /assigned to you/i }).first().click();
    await expect.poll(() => page.getByTestId('notification-count').textContent({ timeout: 200 }).catch(() => '0')).toBe(String(before));
    const unread = await apiCall<{ items: { worklistItemId: string | null }[] }>(neuro.token, 'GET', '/api/notifications?unread=true');
    expect(unread.body.items.some((n) => n.worklistItemId === target.id)).toBe(false);
    expect((await apiCall(neuro.token, 'POST', `/api/worklist/${target.id}/release`)).status).toBe(200);
  });

  it('works from the keyboard: arrows move between cases, C claims, R releases', async () => {
    const page = await openWorklist(NEURO);
    const ids = await page.$$eval('[data-testid="worklist-row"][data-state="UNREAD"]', (els) => els.map((e) => e.getAttribute('data-id')!));
    expect(ids.length).toBeGreaterThan(1);
    await row(page, ids[0]).focus();
    await page.keyboard.press('ArrowDown');
    const focused = await page.evaluate(() => document.activeElement?.getAttribute('data-id'));
    expect(focused).toBeTruthy();
    expect(focused).not.toBe(ids[0]);
    await row(page, ids[1]).focus();
    await page.keyboard.press('c');
    await expect.poll(() => claimantOf(page, ids[1])).toBe('You');
    await row(page, ids[1]).focus();
    await page.keyboard.press('r');
    await expect.poll(() => claimantOf(page, ids[1])).toBe(null);
  });
});
