import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { DEMO_PASSWORD, DEMO_USERS } from '../../backend/src/seed/demo-network.js';
import { launchBrowser, submitSignIn } from '../browser.js';

const webUrl = inject('webUrl');
const apiUrl = inject('apiUrl');
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('every demo role signs in over the API', () => {
  for (const user of DEMO_USERS) {
    it(`${user.role} ${user.email}`, async () => {
      const res = await fetch(`${apiUrl}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: user.email, password: DEMO_PASSWORD }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { user: { email: string; role: string }; accessToken: string };
      expect(body.user).toMatchObject({ email: user.email, role: user.role });
    });
  }
});

describe('every demo role signs in in the browser and lands on its home page', () => {
  for (const user of DEMO_USERS) {
    it(`${user.role} ${user.email} → ${user.home}`, async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      try {
        await page.goto(`${webUrl}/login`);
        await submitSignIn(page, user.email);
        await page.waitForURL(`${webUrl}${user.home}`);
        await expect.poll(() => page.textContent('[data-testid="current-user"]')).toContain(user.email);
        expect(await page.textContent('[data-testid="current-role"]')).toContain(user.role);
      } finally {
        await context.close();
      }
    });
  }

  it('a wrong password shows an error and stays on the sign-in page', async () => {
    const page = await browser.newPage();
    await page.goto(`${webUrl}/login`);
    await submitSignIn(page, 'dr.neuro@teleread.demo', 'not the password');
    // Under CI load a wrong password (argon2 verify + failure bookkeeping) can take seconds.
    await expect.poll(() => page.textContent('body'), { timeout: 20_000 }).toMatch(/wrong email or password/i);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.close();
  });
});

describe('deep links and what each role sees', () => {
  it('a worklist deep link asks for sign-in, then returns to the worklist with the eligible cases', async () => {
    const page = await browser.newPage();
    await page.goto(`${webUrl}/worklist`);
    await page.waitForURL(/\/login\?next=/);
    await submitSignIn(page, 'dr.neuro@teleread.demo');
    await page.waitForURL(`${webUrl}/worklist`);
    await page.waitForSelector('[data-testid="worklist-row"]');
    const rows = await page.$$eval('[data-testid="worklist-row"]', (els) => els.map((e) => e.textContent ?? ''));
    expect(rows.length).toBeGreaterThan(0);
    // Dr. Neuro is privileged at St. Mary's and Pacific Coast only.
    expect(rows.some((r) => r.includes('Lakeside'))).toBe(false);
    await page.close();
  });

  it("hospital staff see only their own hospital's studies in the portal", async () => {
    const page = await browser.newPage();
    await page.goto(`${webUrl}/login`);
    await submitSignIn(page, 'staff@pacific.demo');
    await page.waitForURL(`${webUrl}/portal`);
    await page.waitForSelector('[data-testid="study-row"]');
    const rows = await page.$$eval('[data-testid="study-row"]', (els) => els.map((e) => e.textContent ?? ''));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => !r.includes("St. Mary") && !r.includes('Lakeside'))).toBe(true);
    await page.close();
  });

  it('the admin sees the audit trail of those reads', async () => {
    const page = await browser.newPage();
    await page.goto(`${webUrl}/login`);
    await submitSignIn(page, 'admin@teleread.demo');
    await page.waitForURL(`${webUrl}/admin`);
    await page.getByText('Audit', { exact: true }).first().click();
    await page.waitForSelector('[data-testid="audit-row"]');
    expect(await page.textContent('body')).toContain('study.search');
    await page.close();
  });
});
