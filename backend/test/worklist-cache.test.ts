import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { InvalidationBus } from '../src/cache/invalidation-bus.js';
import { Subspecialty } from '../src/generated/prisma/enums.js';
import { WorklistEvents } from '../src/realtime/worklist-events.service.js';
import { WorklistIntakeService } from '../src/worklist/worklist-intake.service.js';
import { WorklistRepository } from '../src/worklist/worklist.repository.js';
import { WorklistService } from '../src/worklist/worklist.service.js';
import { addCase, addHospital, addReader, sleep, waitFor } from './assignment-fixtures.js';
import { seedWorld, type World } from './fixtures.js';
import { auditedPatients, client, createTestDatabase, startApp, type TestApp } from './harness.js';

/**
 * Cached worklist pages, accounts and scopes, with two backend processes on one database and one
 * QUEUE_PREFIX. The TTLs are a minute here, so whatever shows up at once does so because it was
 * invalidated, not because an entry expired.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let one: TestApp;
let two: TestApp;
let world: World;
let apis: ReturnType<typeof client>[];

beforeAll(async () => {
  db = await createTestDatabase();
  const env = { QUEUE_PREFIX: `test_wlc_${randomBytes(4).toString('hex')}`, WORKLIST_CACHE_SECONDS: '60', ACCESS_CACHE_SECONDS: '60' };
  [one, two] = await Promise.all([startApp(db.url, env), startApp(db.url, env)]);
  world = await seedWorld(one.prisma);
  apis = [client(one.baseUrl), client(two.baseUrl)];
  for (const t of [one, two]) await waitFor('the invalidation channel', async () => t.app.get(InvalidationBus).live);
});
afterAll(async () => {
  await one?.close({ keepQueues: true });
  await two?.close();
  await db?.drop();
});

type Row = { id: string; state: string; claimedBy: string | null; priority: string; subspecialty: string; indication: string | null; modalities: string[] };
const login = async (email: string) => (await apis[0].login(email)).accessToken;
/** The reader's first page at one hospital, as each instance answers it. */
const pages = async (token: string, hospitalId: string, query = '') =>
  Promise.all(
    apis.map(async (api) => {
      const r = await api.get<{ items: Row[]; total: number }>(`/api/worklist?hospitalId=${hospitalId}${query}`, { token });
      expect(r.status).toBe(200);
      return r.body.items.map(({ id, state, claimedBy, priority, subspecialty, indication, modalities }) => ({ id, state, claimedBy, priority, subspecialty, indication, modalities }));
    }),
  );

async function readerAt(name: string, hospitalId: string, subspecialties: Subspecialty[] = ['NEURO'], licenseDays = 30) {
  const reader = await addReader(one.prisma, world, name, { subspecialties, licenses: { TX: licenseDays }, privileges: { [hospitalId]: 30 } });
  return { ...reader, token: await login(reader.email) };
}

describe('cached worklist pages across two processes', () => {
  it('repeated reads are served from the cache; an announced change shows at once in both', async () => {
    const h = await addHospital(one.prisma, world, { jurisdiction: 'TX' });
    const reader = await readerAt('cached', h.id);
    const c = await addCase(one.prisma, h.id, { priority: 'ROUTINE' });
    for (const page of await pages(reader.token, h.id)) expect(page).toEqual([expect.objectContaining({ id: c.id, priority: 'ROUTINE' })]);

    // Changed around the platform (no event): both processes keep answering from their cache…
    await one.prisma.worklistItem.update({ where: { id: c.id }, data: { priority: 'STAT' } });
    for (const page of await pages(reader.token, h.id)) expect(page[0].priority).toBe('ROUTINE');
    // A change to a case this reader cannot see (another subspecialty) leaves the page alone…
    const chest = await addCase(one.prisma, h.id, { subspecialty: 'CHEST' });
    await one.app.get(WorklistEvents).changed([chest.id]);
    for (const page of await pages(reader.token, h.id)) expect(page.map((r) => r.priority)).toEqual(['ROUTINE']);
    // … and it changes once its own change is announced, as every write of the platform does after committing.
    await one.app.get(WorklistEvents).changed([c.id]);
    for (const page of await pages(reader.token, h.id)) expect(page[0].priority).toBe('STAT');
  });

  it('a claim and a release are in the next read on either process', async () => {
    const h = await addHospital(one.prisma, world, { jurisdiction: 'TX' });
    const reader = await readerAt('claimer', h.id);
    const other = await readerAt('watcher', h.id);
    const c = await addCase(one.prisma, h.id);
    await pages(reader.token, h.id);
    await pages(other.token, h.id);
    expect((await apis[0].get('/api/worklist?mine=true', { token: reader.token })).body.items).toEqual([]);

    expect((await apis[0].post(`/api/worklist/${c.id}/claim`, undefined, { token: reader.token })).status).toBe(200);
    for (const who of [reader, other]) {
      for (const page of await pages(who.token, h.id)) expect(page).toEqual([expect.objectContaining({ id: c.id, state: 'CLAIMED', claimedBy: reader.id })]);
    }
    for (const api of apis) expect((await api.get('/api/worklist?mine=true', { token: reader.token })).body.items.map((i: Row) => i.id)).toEqual([c.id]);

    expect((await apis[1].post(`/api/worklist/${c.id}/release`, undefined, { token: reader.token })).status).toBe(200);
    for (const who of [reader, other]) {
      for (const page of await pages(who.token, h.id)) expect(page).toEqual([expect.objectContaining({ id: c.id, state: 'UNREAD', claimedBy: null })]);
    }
    for (const api of apis) expect((await api.get('/api/worklist?mine=true', { token: reader.token })).body.items).toEqual([]);
  });

  it('a new case is in the next read on either process', async () => {
    const h = await addHospital(one.prisma, world, { jurisdiction: 'TX' });
    const reader = await readerAt('newcase', h.id, Object.values(Subspecialty));
    const first = await addCase(one.prisma, h.id);
    for (const page of await pages(reader.token, h.id)) expect(page.map((r) => r.id)).toEqual([first.id]);

    const patient = await one.prisma.patient.create({ data: { hospitalId: h.id, mrn: `N${Date.now()}`, issuer: h.id, name: 'NEW^CASE' } });
    const study = await one.prisma.study.create({
      data: { hospitalId: h.id, patientId: patient.id, studyInstanceUid: `1.2.826.0.1.3680043.10.77.${Date.now()}`, modalities: ['MR'], status: 'COMPLETE' },
    });
    await one.app.get(WorklistIntakeService).ensureItem(study.id); // what the study-stable job runs
    const item = await one.prisma.worklistItem.findUniqueOrThrow({ where: { studyId: study.id } });
    for (const page of await pages(reader.token, h.id)) expect(page.map((r) => r.id).sort()).toEqual([first.id, item.id].sort());
  });

  it('a late instance that changes a listed study is in the next read, on the other process as soon as it hears', async () => {
    const h = await addHospital(one.prisma, world, { jurisdiction: 'TX' });
    const reader = await readerAt('late', h.id, Object.values(Subspecialty));
    const c = await addCase(one.prisma, h.id, { modalities: ['CT'] });
    for (const page of await pages(reader.token, h.id)) expect(page.map((r) => r.modalities)).toEqual([['CT']]);
    // What indexing a late PT instance writes, then the study-stable job that its arrival re-armed.
    await one.prisma.study.update({ where: { id: c.studyId }, data: { modalities: ['CT', 'PT'], lastInstanceAt: new Date() } });
    await one.app.get(WorklistIntakeService).ensureItem(c.studyId);
    const modalities = async (api: (typeof apis)[number]) => (await api.get(`/api/worklist?hospitalId=${h.id}`, { token: reader.token })).body.items.map((r: Row) => r.modalities);
    expect(await modalities(apis[0])).toEqual([['CT', 'PT']]);
    // The other process drops its page when the invalidation reaches it over Redis (a moment later under load).
    await waitFor('the other process', async () => JSON.stringify(await modalities(apis[1])) === JSON.stringify([['CT', 'PT']]), 5_000);
  });

  it('a change that moves no case (a breach, a lease renewed) drops only the pages listing the case, on either process', async () => {
    const h = await addHospital(one.prisma, world, { jurisdiction: 'TX' });
    const reader = await readerAt('rowonly', h.id, Object.values(Subspecialty));
    const first = await addCase(one.prisma, h.id, { priority: 'STAT' });
    const second = await addCase(one.prisma, h.id, { priority: 'ROUTINE' });
    const page = (offset: number) => pages(reader.token, h.id, `&limit=1&offset=${offset}`);
    for (const p of await page(0)) expect(p.map((r) => r.id)).toEqual([first.id]);
    for (const p of await page(1)) expect(p.map((r) => r.id)).toEqual([second.id]);
    const loads = [vi.spyOn(one.app.get(WorklistRepository), 'list'), vi.spyOn(two.app.get(WorklistRepository), 'list')];
    try {
      // What the escalation job does on a breach.
      const breachedAt = new Date();
      await one.prisma.worklistItem.update({ where: { id: second.id }, data: { breachedAt, version: { increment: 1 } } });
      await one.app.get(WorklistEvents).changed([second.id], undefined, false);
      const breached = async () =>
        Promise.all(apis.map(async (api) => (await api.get(`/api/worklist?hospitalId=${h.id}&limit=1&offset=1`, { token: reader.token })).body.items[0].breachedAt));
      await waitFor('the breach on both processes', async () => (await breached()).every((at) => at === breachedAt.toISOString()));
      const reloads = loads.reduce((n, l) => n + l.mock.calls.length, 0);
      // The page without the case was not reloaded: still the same answer, from the cache.
      for (const p of await page(0)) expect(p.map((r) => r.id)).toEqual([first.id]);
      expect(loads.reduce((n, l) => n + l.mock.calls.length, 0)).toBe(reloads);
      expect(reloads).toBeGreaterThanOrEqual(2);
    } finally {
      for (const l of loads) l.mockRestore();
    }
  });

  it('a re-routed case leaves one list and joins another on either process', async () => {
    const A = world.hospitalA.id;
    const neuro = await readerAt('reroute.neuro', A, ['NEURO']);
    const chest = await readerAt('reroute.chest', A, ['CHEST']);
    const c = await addCase(one.prisma, A, { subspecialty: 'NEURO', priority: 'ROUTINE' });
    const accessionNumber = `RR${randomBytes(4).toString('hex')}`; // an order's accession is at most 16 characters
    await one.prisma.study.update({ where: { id: c.studyId }, data: { accessionNumber } });
    const has = (page: Row[]) => page.find((r) => r.id === c.id);
    for (const page of await pages(neuro.token, A)) expect(has(page)).toBeTruthy();
    for (const page of await pages(chest.token, A)) expect(has(page)).toBeUndefined();

    const staff = await login(world.users.staffA.email);
    const order = await apis[0].post('/api/orders', { accessionNumber, priority: 'STAT', indication: 'Chest pain', requestedSubspecialty: 'CHEST' }, { token: staff });
    expect(order.status).toBe(201);
    for (const page of await pages(neuro.token, A)) expect(has(page)).toBeUndefined();
    for (const page of await pages(chest.token, A)) expect(has(page)).toMatchObject({ subspecialty: 'CHEST', priority: 'STAT', indication: 'Chest pain' });
  });
});

describe('cached accounts and scopes', () => {
  it('a license reaching its expiry closes the list at once, with nothing announced', async () => {
    const h = await addHospital(one.prisma, world, { jurisdiction: 'TX' });
    const expiresAt = Date.now() + 2000;
    const reader = await readerAt('expiring', h.id, ['NEURO'], (expiresAt - Date.now()) / 86_400_000);
    const c = await addCase(one.prisma, h.id);
    for (const page of await pages(reader.token, h.id)) expect(page.map((r) => r.id)).toEqual([c.id]);
    for (const page of await pages(reader.token, h.id)) expect(page.map((r) => r.id)).toEqual([c.id]); // cached now
    await sleep(Math.max(0, expiresAt - Date.now()) + 20);
    for (const page of await pages(reader.token, h.id)) expect(page).toEqual([]);
    for (const api of apis) expect((await api.post(`/api/worklist/${c.id}/claim`, undefined, { token: reader.token })).status).toBe(404);
  });

  it("a hospital added by an admin is in the admin's scope at once on either process", async () => {
    const admin = await login(world.users.admin.email);
    for (const api of apis) expect((await api.get('/api/hospitals', { token: admin })).status).toBe(200); // scope cached in both
    const created = await apis[0].post('/api/hospitals', { name: 'Cache Test Clinic', jurisdiction: 'TX', timezone: 'America/Chicago' }, { token: admin });
    expect(created.status).toBe(201);
    for (const api of apis) expect((await api.get(`/api/hospitals/${created.body.id}`, { token: admin })).status).toBe(200);
  });

  it('an announced deactivation is refused at once on either process', async () => {
    const h = await addHospital(one.prisma, world, { jurisdiction: 'TX' });
    const reader = await readerAt('deactivated', h.id);
    for (const api of apis) expect((await api.get('/api/auth/me', { token: reader.token })).status).toBe(200);
    await one.prisma.user.update({ where: { id: reader.id }, data: { active: false } });
    await one.app.get(InvalidationBus).publish('credentials', { userIds: [reader.id] });
    for (const api of apis) expect((await api.get('/api/auth/me', { token: reader.token })).status).toBe(401);
  });
});

describe('what a cached page is', () => {
  it('every read is audited with the patients on the page, from the cache or not', async () => {
    const h = await addHospital(one.prisma, world, { jurisdiction: 'TX' });
    const reader = await readerAt('audited', h.id);
    const cases = await Promise.all([addCase(one.prisma, h.id), addCase(one.prisma, h.id)]);
    const patients = (await one.prisma.study.findMany({ where: { id: { in: cases.map((c) => c.studyId) } } })).map((s) => s.patientId).sort();
    const replies = [];
    for (let i = 0; i < 3; i++) replies.push(await apis[i % 2].get(`/api/worklist?hospitalId=${h.id}`, { token: reader.token }));
    // 30 at once as well: each waits for its own events (written together), then answers.
    replies.push(...(await Promise.all(Array.from({ length: 30 }, (_, i) => apis[i % 2].get(`/api/worklist?hospitalId=${h.id}`, { token: reader.token })))));
    const requestIds = replies.map((r) => r.headers.get('x-request-id')!);
    const events = await one.prisma.auditEvent.findMany({ where: { action: 'worklist.read', actorId: reader.id } });
    expect(events).toHaveLength(33);
    for (const id of requestIds) {
      const mine = events.filter((e) => e.requestId === id);
      expect(mine).toHaveLength(1);
      expect(await auditedPatients(one.prisma, mine[0])).toEqual(patients);
      expect(mine[0]).toMatchObject({ outcome: 'SUCCESS', objectType: 'WorklistItem', detail: { count: 2, limit: 50, offset: 0 } });
    }
  });

  it('a listed case is exactly the case view; the body is JSON with its ETag', async () => {
    const h = await addHospital(one.prisma, world, { jurisdiction: 'TX' });
    const reader = await readerAt('shape', h.id, ['NEURO', 'CHEST']);
    const claimed = await addCase(one.prisma, h.id, { priority: 'STAT', modalities: ['CT', 'PT'] });
    await addCase(one.prisma, h.id, { priority: 'URGENT', subspecialty: 'CHEST', modalities: [] });
    const breached = await addCase(one.prisma, h.id, { dueInMinutes: -5 });
    await one.prisma.worklistItem.update({ where: { id: breached.id }, data: { breachedAt: new Date() } });
    expect((await apis[0].post(`/api/worklist/${claimed.id}/claim`, undefined, { token: reader.token })).status).toBe(200);
    for (const api of apis) {
      const list = await api.get(`/api/worklist?hospitalId=${h.id}`, { token: reader.token });
      expect(list.headers.get('content-type')).toMatch(/^application\/json/);
      expect(list.headers.get('etag')).toMatch(/^W\/"/);
      expect(list.body.total).toBe(3);
      for (const item of list.body.items) expect(item).toEqual((await api.get(`/api/worklist/${item.id}`, { token: reader.token })).body);
    }
  });

  it('a page goes gzipped to clients that accept it, as is to the others, and 304 when unchanged', async () => {
    const h = await addHospital(one.prisma, world, { jurisdiction: 'TX' });
    const reader = await readerAt('gzip', h.id);
    await Promise.all(Array.from({ length: 3 }, () => addCase(one.prisma, h.id)));
    // node:http, not fetch: fetch asks for gzip by itself and hides the encoding.
    const get = (headers: Record<string, string>) =>
      new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        http
          .get(`${one.baseUrl}/api/worklist?hospitalId=${h.id}`, { headers: { authorization: `Bearer ${reader.token}`, ...headers } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
          })
          .on('error', reject);
      });
    const plain = await get({});
    const zipped = await get({ 'accept-encoding': 'gzip, deflate, br' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(zipped.headers['content-encoding']).toBe('gzip');
    for (const r of [plain, zipped]) expect(r.headers.vary).toMatch(/Accept-Encoding/i);
    expect(zipped.body.length).toBeLessThan(plain.body.length);
    expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
    expect(JSON.parse(plain.body.toString()).total).toBe(3);
    expect(zipped.headers.etag).toBe(plain.headers.etag);
    const unchanged = await get({ 'accept-encoding': 'gzip', 'if-none-match': plain.headers.etag! });
    expect(unchanged.status).toBe(304);
    expect(unchanged.body.length).toBe(0);
  });

  it('the fast path and the regular route send the same page, headers and audit event', async () => {
    const h = await addHospital(one.prisma, world, { jurisdiction: 'TX' });
    const reader = await readerAt('same', h.id);
    await Promise.all(Array.from({ length: 2 }, () => addCase(one.prisma, h.id)));
    // "/api/worklist/" is the same route to Express, and not taken by the fast path (exact path only).
    const read = async (path: string, requestId: string) => {
      const r = await fetch(`${one.baseUrl}${path}?hospitalId=${h.id}`, {
        headers: { authorization: `Bearer ${reader.token}`, 'x-request-id': requestId, 'x-forwarded-for': '203.0.113.7' },
      });
      const [event] = await one.prisma.auditEvent.findMany({ where: { requestId } });
      return { status: r.status, body: await r.text(), headers: Object.fromEntries(['content-type', 'etag', 'vary', 'x-request-id'].map((k) => [k, r.headers.get(k)])), event };
    };
    const stamp = Date.now();
    const fast = await read('/api/worklist', `req-fast-${stamp}`);
    const regular = await read('/api/worklist/', `req-regular-${stamp}`);
    expect(fast.status).toBe(200);
    expect(regular.status).toBe(200);
    expect(fast.body).toBe(regular.body);
    expect({ ...fast.headers, 'x-request-id': null }).toEqual({ ...regular.headers, 'x-request-id': null });
    expect(fast.headers['x-request-id']).toBe(`req-fast-${stamp}`);
    expect(fast.headers['content-type']).toBe('application/json; charset=utf-8');
    for (const { event } of [fast, regular]) {
      // The client's address as the trusted (loopback) proxy forwarded it.
      expect(event).toMatchObject({ action: 'worklist.read', actorId: reader.id, sourceIp: '203.0.113.7', outcome: 'SUCCESS' });
      expect(await auditedPatients(one.prisma, event)).toHaveLength(2);
    }
    expect(fast.event.patientSetDigest).toBe(regular.event.patientSetDigest);
  });

  it('the fast path answers like the regular route: metrics once per read, refusals and errors in the usual shape', async () => {
    const h = await addHospital(one.prisma, world, { jurisdiction: 'TX' });
    const reader = await readerAt('fastpath', h.id);
    const count = async () => {
      const text = await (await fetch(`${one.baseUrl}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('teleread_http_request_duration_seconds_count{method="GET",route="/api/worklist",status="200"}'));
      return Number(line?.split(' ').pop() ?? 0);
    };
    const before = await count();
    for (let i = 0; i < 3; i++) expect((await apis[0].get('/api/worklist', { token: reader.token })).status).toBe(200);
    expect(await count()).toBe(before + 3);

    const staff = await login(world.users.staffA.email);
    const refusals = [
      [await apis[0].get('/api/worklist'), 401, /Missing Authorization header/],
      [await apis[0].get('/api/worklist', { token: 'not.a.token' }), 401, /Invalid access token/],
      [await apis[0].get('/api/worklist', { token: staff }), 403, /requires role RADIOLOGIST or ADMIN/],
      [await apis[0].get('/api/worklist?sort=random', { token: reader.token }), 400, /sort/],
    ] as const;
    for (const [reply, status, message] of refusals) {
      expect(reply.status).toBe(status);
      expect(reply.body).toMatchObject({ statusCode: status, requestId: reply.headers.get('x-request-id') });
      expect(String(reply.body.message)).toMatch(message);
    }

    // An error on the fast path sends nothing: the regular route reads again, and answers its own error.
    const fail = vi.spyOn(one.app.get(WorklistService), 'list').mockRejectedValue(new Error('database gone'));
    try {
      const reply = await apis[0].get('/api/worklist', { token: reader.token });
      expect(reply.status).toBe(500);
      expect(reply.body).toMatchObject({ statusCode: 500, requestId: reply.headers.get('x-request-id') });
      expect(JSON.stringify(reply.body)).not.toContain('database gone');
      expect(fail).toHaveBeenCalledTimes(2);
      fail.mockReset().mockRejectedValueOnce(new Error('database blip'));
      expect((await apis[0].get('/api/worklist', { token: reader.token })).status).toBe(200);
    } finally {
      fail.mockRestore();
    }
  });
});
