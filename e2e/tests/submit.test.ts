import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { apiLogin } from '../api.js';
import { launchBrowser, submitSignIn } from '../browser.js';

const webUrl = inject('webUrl');
const apiUrl = inject('apiUrl');

/** Real-world sample files (pydicom test data), see MANIFEST.tsv there. */
const DATA = process.env.TELEREAD_SAMPLE_DICOM ?? '/work/shared/peers/data/real';
const CT_STUDY_UID = '1.3.6.1.4.1.5962.1.1.0.0.0.1196530851.28319.0.1';
const STAFF = 'staff@stmary.demo';
/** Set to a folder to keep screenshots of the submit page. */
const SHOTS = process.env.E2E_SCREENSHOT_DIR;

let browser: Browser;
let tmp: string;

beforeAll(async () => {
  if (!fs.existsSync(path.join(DATA, 'study_77654033', 'ct_1.dcm'))) {
    throw new Error(`sample DICOM files missing under ${DATA} (set TELEREAD_SAMPLE_DICOM)`);
  }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'teleread-submit-'));
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Unique per run, at most 16 characters (DICOM SH). */
function accession(prefix: string) {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`.toUpperCase().slice(0, 16);
}

async function signIn(page: Page, email: string) {
  await page.goto(`${webUrl}/login`);
  await submitSignIn(page, email);
  await page.waitForURL(`${webUrl}/portal`);
}

const apiToken = async (email: string) => (await apiLogin(email)).token;

/** data-path → data-status of every file row. */
function statuses(page: Page): Promise<Record<string, string>> {
  return page.$$eval('[data-testid="file-row"]', (rows) =>
    Object.fromEntries(rows.map((r) => [r.getAttribute('data-path') ?? '', r.getAttribute('data-status') ?? ''])),
  );
}

function row(page: Page, filePath: string) {
  return page.locator(`[data-testid="file-row"][data-path="${filePath}"]`);
}

describe('hospital staff submit a study from the portal', () => {
  it('creates the STAT order, stores the valid files, rejects the non-DICOM one with its reason, and the study shows in the portal', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1100 } });
    const page = await context.newPage();
    try {
      await signIn(page, STAFF);
      await page.click('[data-testid="submit-study-cta"]');
      await page.waitForURL(`${webUrl}/portal/submit`);

      await page.fill('[data-testid="order-accession"]', accession('E2E'));
      await page.check('[data-testid="order-priority"] input[value="STAT"]');
      await page.fill('[data-testid="order-indication"]', 'Sudden aphasia since 02:40, rule out stroke');
      await page.selectOption('[data-testid="order-subspecialty"]', 'NEURO');
      await page.setInputFiles('[data-testid="submit-files-input"]', [
        path.join(DATA, 'study_77654033', 'ct_1.dcm'),
        path.join(DATA, 'study_77654033', 'ct_2.dcm'),
        path.join(DATA, 'study_77654033', 'ct_3.dcm'),
        path.join(DATA, 'odd', 'no_file_meta.dcm'),
      ]);
      await expect.poll(() => statuses(page)).toEqual({
        'ct_1.dcm': 'pending',
        'ct_2.dcm': 'pending',
        'ct_3.dcm': 'pending',
        'no_file_meta.dcm': 'pending',
      });
      // The headers are read in the browser: the staff see whose images they are about to send.
      await expect.poll(() => page.textContent('[data-testid="images-summary"]')).toContain('Doe, Archibald');

      if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'submit-before.png'), fullPage: true });

      await page.click('[data-testid="submit-button"]');
      await expect
        .poll(() => statuses(page), { timeout: 30_000 })
        .toEqual({ 'ct_1.dcm': 'stored', 'ct_2.dcm': 'stored', 'ct_3.dcm': 'stored', 'no_file_meta.dcm': 'rejected' });

      const rejected = await row(page, 'no_file_meta.dcm').textContent();
      expect(rejected).toMatch(/Rejected:/);
      expect(rejected).toMatch(/DICM/);
      expect(await row(page, 'ct_1.dcm').textContent()).toContain('Stored');

      const summary = page.locator('[data-testid="submit-summary"]');
      await expect.poll(() => summary.getAttribute('data-done')).toBe('true');
      const summaryText = (await summary.textContent()) ?? '';
      expect(summaryText).toMatch(/3 stored/);
      expect(summaryText).toMatch(/1 rejected/);
      expect(summaryText).toContain('about 30 s after the last image arrives');
      expect(await page.getAttribute('[data-testid="submit-summary"] [role="status"]', 'aria-live')).toBe('polite');
      expect(await page.textContent('[data-testid="order-summary"]')).toContain('STAT');
      if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'submit-after-upload.png'), fullPage: true });

      await page.click('[data-testid="submit-study-link"]');
      await page.waitForURL(`${webUrl}/portal?study=${CT_STUDY_UID}`);
      const study = page.locator(`[data-testid="study-row"][data-study-uid="${CT_STUDY_UID}"]`);
      // Complete after the quiet period (STUDY_STABLE_SECONDS=2 here), then on the worklist with the order's priority.
      await expect
        .poll(async () => ((await study.count()) ? await study.locator('.state').textContent().catch(() => null) : null), { timeout: 30_000 })
        .toBe('UNREAD');
      expect(await study.locator('[data-priority]').getAttribute('data-priority')).toBe('STAT');
      expect(await study.getAttribute('aria-current')).toBe('true');
      if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'portal-after-submit.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('says what is missing, offers to continue with an existing order, and reports images already stored', async () => {
    // A folder as the staff would pick it: a subfolder, and a hidden file that is left out.
    const folder = path.join(tmp, 'CR_EXPORT');
    fs.mkdirSync(path.join(folder, 'sub'), { recursive: true });
    fs.copyFileSync(path.join(DATA, 'study_77654033', 'cr1.dcm'), path.join(folder, 'cr1.dcm'));
    fs.copyFileSync(path.join(DATA, 'study_77654033', 'cr2.dcm'), path.join(folder, 'cr2.dcm'));
    fs.copyFileSync(path.join(DATA, 'study_77654033', 'cr3.dcm'), path.join(folder, 'sub', 'cr3.dcm'));
    fs.writeFileSync(path.join(folder, '.DS_Store'), 'not an image');

    // cr1 is already on the platform, and the accession already has an order.
    const token = await apiToken(STAFF);
    const acc = accession('DUP');
    const order = await fetch(`${apiUrl}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ accessionNumber: acc, priority: 'ROUTINE', indication: 'Ordered from the RIS' }),
    });
    expect(order.status).toBe(201);
    const boundary = 'e2e-boundary-7d1f';
    const stow = await fetch(`${apiUrl}/dicomweb/studies`, {
      method: 'POST',
      headers: { 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`, authorization: `Bearer ${token}` },
      body: Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`),
        fs.readFileSync(path.join(folder, 'cr1.dcm')),
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]),
    });
    expect(stow.status).toBe(200);

    const context = await browser.newContext({ viewport: { width: 1440, height: 1100 } });
    const page = await context.newPage();
    try {
      await signIn(page, STAFF);
      await page.goto(`${webUrl}/portal/submit`);
      await page.waitForSelector('[data-testid="submit-button"]');

      // Nothing filled in: every missing piece is named, the first field gets the focus, nothing is sent.
      await page.click('[data-testid="submit-button"]');
      await page.waitForSelector('#accession-error');
      for (const id of ['accession-error', 'priority-error', 'indication-error', 'files-error']) {
        expect(await page.isVisible(`#${id}`), id).toBe(true);
      }
      expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('order-accession');
      if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'submit-validation.png'), fullPage: true });
      await page.fill('[data-testid="order-accession"]', 'ACCESSION-TOO-LONG-1');
      await page.click('[data-testid="submit-button"]');
      expect(await page.textContent('#accession-error')).toMatch(/at most 16 characters/i);

      await page.fill('[data-testid="order-accession"]', acc);
      await page.check('[data-testid="order-priority"] input[value="URGENT"]');
      await page.fill('[data-testid="order-indication"]', 'Fall, neck pain');
      await page.setInputFiles('[data-testid="submit-folder-input"]', folder);
      await expect.poll(() => statuses(page)).toEqual({
        'CR_EXPORT/cr1.dcm': 'pending',
        'CR_EXPORT/cr2.dcm': 'pending',
        'CR_EXPORT/sub/cr3.dcm': 'pending',
      });
      expect(await page.textContent('[data-testid="images-summary"]')).toMatch(/1 hidden file/);

      await page.click('[data-testid="submit-button"]');
      const conflict = page.locator('[data-testid="order-conflict"]');
      await conflict.waitFor();
      expect(await conflict.textContent()).toMatch(new RegExp(`order for accession number ${acc} already exists`, 'i'));
      expect((await statuses(page))['CR_EXPORT/cr2.dcm']).toBe('pending'); // nothing sent before the user decides
      if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'submit-conflict.png'), fullPage: true });

      await page.click('[data-testid="order-continue"]');
      await expect
        .poll(() => statuses(page), { timeout: 30_000 })
        .toEqual({ 'CR_EXPORT/cr1.dcm': 'duplicate', 'CR_EXPORT/cr2.dcm': 'stored', 'CR_EXPORT/sub/cr3.dcm': 'stored' });
      expect(await row(page, 'CR_EXPORT/cr1.dcm').textContent()).toContain('Already stored');
      const summary = (await page.textContent('[data-testid="submit-summary"]')) ?? '';
      expect(summary).toMatch(/All 3 files stored/);
      expect(summary).toMatch(/1 already stored/);
      expect(await page.textContent('[data-testid="order-summary"]')).toMatch(/Existing order/);
    } finally {
      await context.close();
    }
  });

  it('refreshes an expired token once and retries; a file cut off by the network gets a Retry button', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await signIn(page, STAFF);
      await page.goto(`${webUrl}/portal/submit`);
      await page.fill('[data-testid="order-accession"]', accession('NET'));
      await page.check('[data-testid="order-priority"] input[value="ROUTINE"]');
      await page.fill('[data-testid="order-indication"]', 'Follow-up');
      // Dropped on the page (a synthetic drop: Playwright cannot drag files from the desktop).
      const ct4 = fs.readFileSync(path.join(DATA, 'study_77654033', 'ct_4.dcm')).toString('base64');
      await page.evaluate((b64) => {
        const dt = new DataTransfer();
        dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'ct_4.dcm'));
        dt.items.add(new File(['mac metadata'], '._ct_4.dcm'));
        const zone = document.querySelector('.dropzone')!;
        for (const type of ['dragenter', 'dragover', 'drop']) zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
      }, ct4);
      await expect.poll(() => statuses(page)).toEqual({ 'ct_4.dcm': 'pending' });

      // First STOW request: 401 (access token expired); the retry after the refresh: connection lost.
      let stowCalls = 0;
      let refreshes = 0;
      page.on('request', (req) => {
        if (req.url().endsWith('/api/auth/refresh')) refreshes++;
      });
      await page.route('**/dicomweb/studies', async (route) => {
        stowCalls++;
        if (stowCalls === 1) await route.fulfill({ status: 401, contentType: 'application/json', body: '{"statusCode":401,"message":"jwt expired"}' });
        else await route.abort('connectionreset');
      });
      await page.click('[data-testid="submit-button"]');
      const file = row(page, 'ct_4.dcm');
      await expect.poll(() => file.getAttribute('data-status')).toBe('error');
      expect(stowCalls).toBe(2);
      expect(refreshes).toBe(1);
      expect(await file.textContent()).toContain('Cannot reach the Teleread server');
      expect(await page.textContent('[data-testid="submit-summary"]')).toMatch(/1 not sent/);

      await page.unroute('**/dicomweb/studies');
      await file.getByRole('button', { name: 'Retry ct_4.dcm' }).click();
      await expect.poll(() => file.getAttribute('data-status')).toBe('stored');
      expect(await page.textContent('[data-testid="submit-summary"]')).toMatch(/The file is stored/);
    } finally {
      await context.close();
    }
  });
});
