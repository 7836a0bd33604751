import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobId } from '../src/jobs/jobs.js';
import { QueueService } from '../src/jobs/queue.service.js';
import { addCase, addHospital, addReader, enqueueAutoAssign, waitFor } from './assignment-fixtures.js';
import { seedWorld, type World } from './fixtures.js';
import { client, createTestDatabase, startApp, type TestApp } from './harness.js';

/**
 * Two backend instances on one database and one queue namespace, as in a deployment with two
 * replicas: claims race across processes, and every job is taken by whichever worker is free.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let one: TestApp;
let two: TestApp;
let world: World;
let apis: ReturnType<typeof client>[];

beforeAll(async () => {
  db = await createTestDatabase();
  const env = { QUEUE_PREFIX: `test_2p_${randomBytes(4).toString('hex')}`, AUTO_ASSIGN_RETRY_SECONDS: '1' };
  [one, two] = await Promise.all([startApp(db.url, env), startApp(db.url, env)]);
  world = await seedWorld(one.prisma);
  apis = [client(one.baseUrl), client(two.baseUrl)];
});
afterAll(async () => {
  await one?.close({ keepQueues: true });
  await two?.close();
  await db?.drop();
});

const queuesOf = (app: TestApp) => app.app.get(QueueService);
/** Jobs are removed on completion: none of these is left waiting, delayed or running. */
const gone = async (queue: 'auto-assign' | 'claim-lease', ids: string[]) =>
  (await Promise.all(ids.map((id) => queuesOf(one).queue(queue).getJob(id)))).every((job) => !job);

describe('two backend processes', () => {
  it('50 concurrent claims split across both: exactly one 200', async () => {
    const h = await addHospital(one.prisma, world, { jurisdiction: 'TX' });
    const readers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => addReader(one.prisma, world, `twin${i}`, { subspecialties: ['NEURO'], licenses: { TX: 30 }, privileges: { [h.id]: 30 } })),
    );
    const tokens = await Promise.all(readers.map(async (r, i) => (await apis[i % 2].login(r.email)).accessToken));
    const item = await addCase(one.prisma, h.id, { priority: 'STAT' });
    const results = await Promise.all(tokens.map((token, i) => apis[i % 2].post(`/api/worklist/${item.id}/claim`, undefined, { token })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(49);
    const winner = results.find((r) => r.status === 200)!.body;
    expect(winner).toMatchObject({ version: 1, state: 'CLAIMED' });
    expect(readers.map((r) => r.id)).toContain(winner.claimedBy);
    // One claim written (the 2 s lease may have lapsed since, which is a later change).
    expect(await one.prisma.auditEvent.count({ where: { action: 'worklist.claim', objectId: item.id } })).toBe(1);
  });

  it('next case across both: 20 callers over 5 cases, 5 distinct winners', async () => {
    const h = await addHospital(one.prisma, world, { jurisdiction: 'NV' });
    const readers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => addReader(one.prisma, world, `nexttwin${i}`, { subspecialties: ['NEURO'], licenses: { NV: 30 }, privileges: { [h.id]: 30 } })),
    );
    const tokens = await Promise.all(readers.map(async (r, i) => (await apis[i % 2].login(r.email)).accessToken));
    await Promise.all(Array.from({ length: 5 }, () => addCase(one.prisma, h.id)));
    const results = await Promise.all(tokens.map((token, i) => apis[i % 2].post('/api/worklist/next', undefined, { token })));
    const winners = results.filter((r) => r.status === 200);
    expect(winners).toHaveLength(5);
    expect(new Set(winners.map((w) => w.body.id)).size).toBe(5);
    expect(results.filter((r) => r.status === 204)).toHaveLength(15);
  });

  it('auto-assign jobs for 12 cases, queued twice from both processes: each case assigned once, 4/4/4', async () => {
    const h = await addHospital(one.prisma, world, { jurisdiction: 'WA', autoAssign: true });
    const spec = { subspecialties: ['NEURO' as const], licenses: { WA: 30 }, privileges: { [h.id]: 30 }, shift: 'on' as const };
    const readers = [await addReader(one.prisma, world, 'twinA', spec), await addReader(one.prisma, world, 'twinB', spec), await addReader(one.prisma, world, 'twinC', spec)];
    const cases = await Promise.all(Array.from({ length: 12 }, () => addCase(one.prisma, h.id)));
    await Promise.all(
      cases.flatMap((c) => [
        // Intake running in both processes (same job id: one job) …
        enqueueAutoAssign(queuesOf(one), c.id),
        enqueueAutoAssign(queuesOf(two), c.id),
        // … and a second, distinct job for the same case (a re-queue racing the first).
        enqueueAutoAssign(queuesOf(two), c.id, jobId('assign', c.id, 'again')),
      ]),
    );
    const rows = await waitFor('12 assignments', async () => {
      const r = await one.prisma.worklistItem.findMany({ where: { hospitalId: h.id } });
      return r.every((c) => c.state === 'CLAIMED') ? r : null;
    });
    // Let any straggling duplicate job finish before counting.
    const assignJobs = cases.flatMap((c) => [jobId('assign', c.id, 0), jobId('assign', c.id, 'again')]);
    await waitFor('every auto-assign job to finish', () => gone('auto-assign', assignJobs));
    expect(rows.every((r) => r.version === 1 && r.claimSource === 'AUTO')).toBe(true);
    const notices = await one.prisma.notification.findMany({ where: { kind: 'ASSIGNED', worklistItemId: { in: cases.map((c) => c.id) } } });
    expect(notices).toHaveLength(12);
    expect(readers.map((r) => rows.filter((c) => c.claimedById === r.id).length)).toEqual([4, 4, 4]);
    expect((await one.prisma.worklistItem.findMany({ where: { hospitalId: h.id } })).every((r) => r.version === 1)).toBe(true);
  });

  it('lease jobs for 10 claims, each scheduled in both processes: each case returned exactly once', async () => {
    const h = await addHospital(one.prisma, world, { jurisdiction: 'OR' });
    const reader = await addReader(one.prisma, world, 'leaser', { subspecialties: ['NEURO'], licenses: { OR: 30 }, privileges: { [h.id]: 30 } });
    const token = (await apis[0].login(reader.email)).accessToken;
    const cases = await Promise.all(Array.from({ length: 10 }, () => addCase(one.prisma, h.id)));
    const claims = await Promise.all(cases.map((c, i) => apis[i % 2].post(`/api/worklist/${c.id}/claim`, undefined, { token })));
    expect(claims.every((r) => r.status === 200)).toBe(true);
    // The leases end in a second (as if the viewer had stopped long ago); both processes schedule
    // that end, under different job ids, so two jobs per case race in the two workers.
    const leaseExpiresAt = new Date(Date.now() + 1000);
    await one.prisma.worklistItem.updateMany({ where: { hospitalId: h.id }, data: { leaseExpiresAt } });
    const leaseJobs = cases.flatMap((c) => [jobId('lease', c.id, leaseExpiresAt.getTime()), jobId('lease', c.id, leaseExpiresAt.getTime(), 'again')]);
    await Promise.all(
      leaseJobs.map((id, i) =>
        queuesOf([one, two][i % 2]).add('claim-lease', { itemId: cases[i >> 1].id, leaseExpiresAt: leaseExpiresAt.toISOString() }, { jobId: id, delay: 1000, removeOnComplete: true }),
      ),
    );
    await waitFor('10 lapsed claims', async () => (await one.prisma.worklistItem.count({ where: { hospitalId: h.id, state: 'UNREAD' } })) === 10);
    await waitFor('every lease job to finish', () => gone('claim-lease', leaseJobs));
    const rows = await one.prisma.worklistItem.findMany({ where: { hospitalId: h.id } });
    expect(rows.every((r) => r.version === 2 && r.claimedById === null)).toBe(true);
    const notices = await one.prisma.notification.findMany({ where: { userId: reader.id, kind: 'UNASSIGNED' } });
    expect(notices).toHaveLength(10);
    expect(new Set(notices.map((n) => n.worklistItemId))).toEqual(new Set(cases.map((c) => c.id)));
  });
});
