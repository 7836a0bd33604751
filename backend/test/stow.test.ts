import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngestService } from '../src/ingest/ingest.service.js';
import { client, createTestDatabase, startApp, type TestApp } from './harness.js';
import { seedWorld, type World } from './fixtures.js';

const REAL = '/work/shared/peers/data/real';
const manifest = fs
  .readFileSync(path.join(REAL, 'MANIFEST.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split('\t'));
const validFiles = manifest.filter((r) => !r[0].startsWith('odd/')).map((r) => ({ file: r[0], sop: r[8], study: r[9] }));
const oddFiles = manifest.filter((r) => r[0].startsWith('odd/')).map((r) => r[0]);
const read = (f: string) => fs.readFileSync(path.join(REAL, f));

function multipart(files: Buffer[], boundary = `b${randomBytes(8).toString('hex')}`) {
  const chunks: Buffer[] = [];
  for (const f of files) chunks.push(Buffer.from(`\r\n--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), f);
  chunks.push(Buffer.from(`\r\n--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/related; type="application/dicom"; boundary=${boundary}` };
}

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestApp;
let world: World;
let api: ReturnType<typeof client>;
let apiKey: string;
let staffToken: string;

async function stow(files: Buffer[], auth: { apiKey?: string; token?: string } = { apiKey }, url = '/dicomweb/studies') {
  const { body, contentType } = multipart(files);
  const headers: Record<string, string> = { 'content-type': contentType, accept: 'application/dicom+json' };
  headers.authorization = auth.apiKey ? `ApiKey ${auth.apiKey}` : `Bearer ${auth.token}`;
  const res = await fetch(t.baseUrl + url, { method: 'POST', headers, body });
  return { status: res.status, body: (await res.json()) as Record<string, { Value?: Record<string, { Value: unknown[] }>[] }> };
}
const referenced = (b: Awaited<ReturnType<typeof stow>>['body']) => (b['00081199']?.Value ?? []).map((i) => i['00081155'].Value[0] as string);
const failedItems = (b: Awaited<ReturnType<typeof stow>>['body']) => b['00081198']?.Value ?? [];

beforeAll(async () => {
  db = await createTestDatabase();
  t = await startApp(db.url, { STUDY_STABLE_SECONDS: '1' });
  world = await seedWorld(t.prisma);
  api = client(t.baseUrl);
  const admin = (await api.login('admin@test.example')).accessToken;
  apiKey = (await api.post(`/api/hospitals/${world.hospitalA.id}/api-keys`, { name: 'pacs' }, { token: admin })).body.key;
  staffToken = (await api.login('staff.a@test.example')).accessToken;
});
afterAll(async () => {
  await t?.close();
  await db?.drop();
});

async function waitFor<T>(fn: () => Promise<T | null | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('STOW-RS', () => {
  it('stores every valid sample file, answering per instance', async () => {
    const r = await stow(validFiles.map((f) => read(f.file)));
    expect(r.status).toBe(200);
    const uniqueSops = new Set(validFiles.map((f) => f.sop));
    expect(new Set(referenced(r.body))).toEqual(uniqueSops);
    // The samples reuse SOP Instance UIDs across transfer-syntax variants: one row each.
    expect(await t.prisma.instance.count({ where: { study: { hospitalId: world.hospitalA.id } } })).toBe(uniqueSops.size);
    const files = await t.prisma.instance.findMany({ select: { storageKey: true, sha256: true } });
    for (const f of files) expect(fs.existsSync(path.join(t.config.STORAGE_DIR, f.storageKey))).toBe(true);
  });

  it('keeps patient names in their character sets (UTF-8 and Latin-1 files)', async () => {
    const names = (await t.prisma.patient.findMany({ select: { name: true } })).map((p) => p.name);
    expect(names).toContain('Wang^XiaoDong=王^小東');
    expect(names).toContain('Äneas^Rüdiger');
  });

  it('rejects each malformed file precisely while storing the valid ones sent with it', async () => {
    const good = read('study_77654033/cr1.dcm');
    const before = await t.prisma.instance.count();
    const r = await stow([...oddFiles.map(read), good]);
    expect(r.status).toBe(202);
    const failed = failedItems(r.body);
    expect(failed).toHaveLength(oddFiles.length);
    const messages = failed.map((f) => String(f['0040A160'].Value[0]));
    for (const [i, pattern] of [
      [oddFiles.indexOf('odd/no_file_meta.dcm'), /DICM/],
      [oddFiles.indexOf('odd/meta_missing_tsuid.dcm'), /TransferSyntaxUID/],
      [oddFiles.indexOf('odd/truncated_pixeldata.dcm'), /truncated/],
      [oddFiles.indexOf('odd/bad_vr.dcm'), /\(0028,0008\).*"1A"/],
      [oddFiles.indexOf('odd/j2k_pixeldata_too_short.dcm'), /sequence delimiter/],
    ] as const) {
      expect(messages[i]).toMatch(pattern);
    }
    for (const f of failed) expect(f['00081197'].Value[0]).toBeGreaterThan(0);
    expect(referenced(r.body)).toHaveLength(1); // the good file (already stored: idempotent)
    expect(await t.prisma.instance.count()).toBe(before);
  });

  it('answers 409 with reasons when nothing could be stored, and 415 for a non-DICOM payload type', async () => {
    const r = await stow([read('odd/no_file_meta.dcm')]);
    expect(r.status).toBe(409);
    expect(failedItems(r.body)).toHaveLength(1);
    const wrongType = await fetch(`${t.baseUrl}/dicomweb/studies`, {
      method: 'POST',
      headers: { authorization: `ApiKey ${apiKey}`, 'content-type': 'multipart/related; type="application/dicom+json"; boundary=x' },
      body: '--x\r\n\r\n{}\r\n--x--',
    });
    expect(wrongType.status).toBe(415);
    const notMultipart = await fetch(`${t.baseUrl}/dicomweb/studies`, { method: 'POST', headers: { authorization: `ApiKey ${apiKey}`, 'content-type': 'application/dicom' }, body: 'x' });
    expect(notMultipart.status).toBe(415);
  });

  it('is idempotent: the same study sent twice is stored once', async () => {
    const files = ['study_77654033/ct_1.dcm', 'study_77654033/ct_2.dcm'].map(read);
    const first = await stow(files);
    const count = await t.prisma.instance.count();
    const second = await stow(files);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(referenced(second.body)).toEqual(referenced(first.body));
    expect(await t.prisma.instance.count()).toBe(count);
  });

  it('keeps the complete parts of an interrupted upload; the resend completes the study exactly once', async () => {
    const files = validFiles.filter((f) => f.file.startsWith('study_77654033/')).map((f) => read(f.file));
    // Two studies (CR and CT) of one patient.
    const studyUids = [...new Set(validFiles.filter((f) => f.file.startsWith('study_77654033/')).map((f) => f.study))];
    const inB = () => t.prisma.instance.count({ where: { study: { hospitalId: world.hospitalB.id, studyInstanceUid: { in: studyUids } } } });
    // Use hospital B (empty) via its staff token, and cut the body off in the middle of part 4.
    const staffB = (await api.login('staff.b@test.example')).accessToken;
    const { body, contentType } = multipart(files);
    const cutAt = body.indexOf(files[3]) + 100;
    await new Promise<void>((resolve) => {
      const req = http.request(`${t.baseUrl}/dicomweb/studies`, { method: 'POST', headers: { 'content-type': contentType, authorization: `Bearer ${staffB}` } });
      req.on('error', () => resolve());
      req.write(body.subarray(0, cutAt), () => setTimeout(() => (req.destroy(), resolve()), 300));
    });
    const partial = await waitFor(async () => ((await inB()) === 3 ? 3 : null));
    expect(partial).toBe(3);
    const resend = await stow(files, { token: staffB });
    expect(resend.status).toBe(200);
    expect(await inB()).toBe(files.length);
    const studies = await t.prisma.study.findMany({ where: { hospitalId: world.hospitalB.id, studyInstanceUid: { in: studyUids } } });
    expect(studies.reduce((n, s) => n + s.numInstances, 0)).toBe(files.length);
    expect(fs.readdirSync(path.join(t.config.STORAGE_DIR, '.incoming'))).toEqual([]);
  });

  it('sweeps partial uploads abandoned by a crash, but not ones still being written', async () => {
    const ingest = t.app.get(IngestService);
    const stale = ingest.newIncomingPath();
    const live = ingest.newIncomingPath();
    fs.writeFileSync(stale, 'half a DICOM file');
    fs.writeFileSync(live, 'an upload in progress');
    const longAgo = new Date(Date.now() - 20 * 60_000);
    fs.utimesSync(stale, longAgo, longAgo);
    expect(await ingest.sweepIncoming()).toBe(1);
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
    fs.rmSync(live);
  });

  it('refuses callers without a hospital or without the right role', async () => {
    const admin = (await api.login('admin@test.example')).accessToken;
    expect((await stow([read('study_77654033/cr2.dcm')], { token: admin })).status).toBe(403);
    const rad = (await api.login('rad.a@test.example')).accessToken;
    expect((await stow([read('study_77654033/cr2.dcm')], { token: rad })).status).toBe(403);
    const none = await fetch(`${t.baseUrl}/dicomweb/studies`, { method: 'POST', body: 'x' });
    expect(none.status).toBe(401);
  });

  it('writes an audit event naming the patients stored', async () => {
    const events = await t.prisma.auditEvent.findMany({ where: { action: 'dicomweb.store', hospitalId: world.hospitalA.id } });
    expect(events.length).toBeGreaterThan(0);
    const withStored = events.filter((e) => (e.detail as { stored: number }).stored > 0);
    expect(withStored.length).toBeGreaterThan(0);
    expect(withStored.every((e) => e.actorKind === 'API_KEY' && e.patientIds.length > 0)).toBe(true);
  });
});

describe('complete studies reach the worklist with their order', () => {
  it('an order sent before the images sets priority and routing; the study completes after the quiet period', async () => {
    const file = read('ct_small_128_explicit_le.dcm');
    // A fresh study: rewrite nothing, use hospital B which has not seen this file.
    const staffB = (await api.login('staff.b@test.example')).accessToken;
    const order = await api.post(
      '/api/orders',
      { accessionNumber: 'B-STAT-1', studyInstanceUid: validFiles.find((f) => f.file === 'ct_small_128_explicit_le.dcm')!.study, priority: 'STAT', indication: 'Head trauma, GCS 12', requestedSubspecialty: 'neuro' },
      { token: staffB },
    );
    expect(order.status).toBe(201);
    expect((await api.post('/api/orders', { accessionNumber: 'B-STAT-1', priority: 'STAT', indication: 'again' }, { token: staffB })).status).toBe(409);
    const r = await stow([file], { token: staffB });
    expect(r.status).toBe(200);
    const item = await waitFor(() =>
      t.prisma.worklistItem.findFirst({ where: { hospitalId: world.hospitalB.id, study: { studyInstanceUid: order.body.studyInstanceUid } }, include: { study: true, hospital: true } }),
    );
    expect(item).toMatchObject({ priority: 'STAT', subspecialty: 'NEURO', state: 'UNREAD', orderId: order.body.id });
    expect(item.study.status).toBe('COMPLETE');
    expect(item.dueAt.getTime() - item.receivedAt.getTime()).toBe(item.hospital.slaStatMinutes * 60_000);
  });

  it('a study without an order gets the hospital default priority and routing; a later order upgrades it', async () => {
    const uid = validFiles.find((f) => f.file === 'mr_small_explicit_le.dcm')!.study;
    const staffB = (await api.login('staff.b@test.example')).accessToken;
    await stow([read('mr_small_explicit_le.dcm')], { token: staffB });
    const item = await waitFor(() => t.prisma.worklistItem.findFirst({ where: { hospitalId: world.hospitalB.id, study: { studyInstanceUid: uid } } }));
    expect(item.priority).toBe('ROUTINE');
    expect(item.routingReason).toBeTruthy();
    const accession = (await t.prisma.study.findFirstOrThrow({ where: { studyInstanceUid: uid, hospitalId: world.hospitalB.id } })).accessionNumber;
    const order = await api.post('/api/orders', { accessionNumber: accession ?? 'MR-1', studyInstanceUid: uid, priority: 'URGENT', indication: 'Headache' }, { token: staffB });
    expect(order.status).toBe(201);
    const updated = await t.prisma.worklistItem.findUniqueOrThrow({ where: { id: item.id } });
    expect(updated).toMatchObject({ priority: 'URGENT', orderId: order.body.id });
    expect(updated.version).toBe(item.version + 1);
  });

  it('validates orders: wrong types and unknown fields are 400, admins are refused', async () => {
    const staffB = (await api.login('staff.b@test.example')).accessToken;
    const bad = await api.post('/api/orders', { accessionNumber: 'X', priority: 'ASAP', indication: 'x' }, { token: staffB });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.message)).toContain('priority');
    const unknown = await api.post('/api/orders', { accessionNumber: 'X', priority: 'STAT', indication: 'x', patientName: 'DOE' }, { token: staffB });
    expect(unknown.status).toBe(400);
    const admin = (await api.login('admin@test.example')).accessToken;
    expect((await api.post('/api/orders', { accessionNumber: 'X', priority: 'STAT', indication: 'x' }, { token: admin })).status).toBe(403);
    const viaKey = await api.post('/api/orders', { accessionNumber: 'A-KEY-1', priority: 'URGENT', indication: 'From the RIS' }, { apiKey });
    expect(viaKey.status).toBe(201);
    expect(viaKey.body.hospitalId).toBe(world.hospitalA.id);
  });
});
