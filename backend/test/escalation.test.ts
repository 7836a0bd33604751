import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EscalationService } from '../src/escalation/escalation.service.js';
import { JobSweepService } from '../src/jobs/job-sweep.service.js';
import type { Priority, WorklistState } from '../src/generated/prisma/enums.js';
import { QueueService } from '../src/jobs/queue.service.js';
import { slaEscalationJobs } from '../src/worklist/sla.js';
import { createCase, seedWorld, type World } from './fixtures.js';
import { client, createTestDatabase, startApp, waitFor, type TestApp } from './harness.js';

const MIN = 60_000;
// One queue namespace for every app instance of this file: a restart finds the jobs the last one left.
const QUEUE_PREFIX = `test_esc_${randomBytes(4).toString('hex')}`;

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestApp;
let world: World;
let api: ReturnType<typeof client>;
let other: { hospitalId: string; adminId: string };
const tokens: Record<string, string> = {};

const boot = async () => {
  t = await startApp(db.url, { QUEUE_PREFIX });
  api = client(t.baseUrl);
};
const queue = () => t.app.get(QueueService).queue('sla-escalation');

beforeAll(async () => {
  db = await createTestDatabase();
  await boot();
  world = await seedWorld(t.prisma);
  // A second network with its own hospital and admin: must never hear about the first one's cases.
  const network = await t.prisma.network.create({ data: { name: 'Other network' } });
  const hospital = await t.prisma.hospital.create({ data: { networkId: network.id, name: 'Charlie Clinic', jurisdiction: 'NY', timezone: 'America/New_York' } });
  const admin = await t.prisma.user.create({
    data: { email: 'admin2@test.example', displayName: 'Other admin', passwordHash: world.users.admin.passwordHash, role: 'ADMIN', networkId: network.id },
  });
  other = { hospitalId: hospital.id, adminId: admin.id };
  for (const [name, email] of Object.entries({
    admin: 'admin@test.example',
    admin2: 'admin2@test.example',
    radA: 'rad.a@test.example',
    radAB: 'rad.ab@test.example',
    staffA: 'staff.a@test.example',
  })) {
    tokens[name] = (await api.login(email)).accessToken;
  }
});
afterAll(async () => {
  await t?.close();
  await db?.drop();
});

/** A complete CT head study on the worklist with the given clock (rows written directly, as intake would). */
async function makeCase(opts: { hospitalId?: string; priority?: Priority; receivedAt: number; dueAt: number; state?: WorklistState; claimedById?: string; enqueue?: boolean }) {
  const { study, item } = await createCase(t.prisma, opts.hospitalId ?? world.hospitalA.id, {
    priority: opts.priority ?? 'STAT',
    state: opts.state,
    claimedById: opts.claimedById,
    receivedAt: new Date(opts.receivedAt),
    dueAt: new Date(opts.dueAt),
  });
  if (opts.enqueue !== false) await t.app.get(QueueService).addBulk('sla-escalation', slaEscalationJobs(item));
  return { ...item, accessionNumber: study.accessionNumber! };
}

const jobIds = (item: { id: string; receivedAt: Date; dueAt: Date }) => Object.fromEntries(slaEscalationJobs(item).map((j) => [j.data.level, j.opts.jobId]));

const escalations = (itemId: string) => t.prisma.slaEscalation.findMany({ where: { worklistItemId: itemId }, orderBy: { firedAt: 'asc' } });
const notifications = (itemId: string) => t.prisma.notification.findMany({ where: { worklistItemId: itemId } });
const firedLevels = async (itemId: string) => (await escalations(itemId)).map((e) => e.level).sort();

/** Runs these (delayed) jobs now and waits until each has completed (completed jobs are removed). */
async function runNow(ids: string[]) {
  // (A job already due is waiting or done, not delayed: promote refuses it, and it runs anyway.)
  for (const id of ids) await (await queue().getJob(id))?.promote().catch(() => undefined);
  await waitFor(`jobs ${ids.join(', ')} to finish`, async () => (await Promise.all(ids.map((id) => queue().getJob(id)))).every((j) => !j));
}

/** Per notification kind, how many each user received. */
function perRecipient(rows: { userId: string; kind: string }[]) {
  const counts: Record<string, number> = {};
  for (const r of rows) counts[`${r.kind}/${r.userId}`] = (counts[`${r.kind}/${r.userId}`] ?? 0) + 1;
  return counts;
}

describe('SLA escalation', () => {
  let claimedCase: Awaited<ReturnType<typeof makeCase>>;
  let foreignCase: Awaited<ReturnType<typeof makeCase>>;

  it('warns at 50 % and 80 % and marks the breach, each exactly once, even with the jobs added twice', async () => {
    const now = Date.now();
    // 6 s allowed: 50 % is due at once, 80 % after 1.8 s, the breach after 3 s.
    claimedCase = await makeCase({ receivedAt: now - 3_000, dueAt: now + 3_000, claimedById: world.users.radA.id });
    await t.app.get(QueueService).addBulk('sla-escalation', slaEscalationJobs(claimedCase));
    // The other network's case, fired at once (50 % already due).
    foreignCase = await makeCase({ hospitalId: other.hospitalId, receivedAt: now - 10 * MIN, dueAt: now + 10 * MIN });

    await waitFor('the breach', async () => (await firedLevels(claimedCase.id)).length === 3);
    await waitFor('the other network warning', async () => (await firedLevels(foreignCase.id)).length === 1);
    expect(await firedLevels(claimedCase.id)).toEqual(['BREACH', 'WARN_50', 'WARN_80']);

    const notes = await notifications(claimedCase.id);
    const { radA, admin } = world.users;
    expect(perRecipient(notes)).toEqual({
      [`SLA_WARN_50/${radA.id}`]: 1,
      [`SLA_WARN_50/${admin.id}`]: 1,
      [`SLA_WARN_80/${radA.id}`]: 1,
      [`SLA_WARN_80/${admin.id}`]: 1,
      [`SLA_BREACH/${radA.id}`]: 1,
      [`SLA_BREACH/${admin.id}`]: 1,
    });
    const warn80 = notes.find((n) => n.kind === 'SLA_WARN_80')!;
    // 1.2 s before the due time (or just after it, on a busy machine).
    expect(warn80.title).toMatch(/^STAT CT head at Alpha General: (<1 min left|overdue by <1 min)$/);
    expect(warn80.body).toContain(`Accession ${claimedCase.accessionNumber}`);
    expect(warn80.body).toContain('with rad.a');
    for (const n of notes) expect(`${n.title} ${n.body}`).not.toMatch(/PATIENT|M10\d/); // no patient name or MRN
    expect(notes.find((n) => n.kind === 'SLA_BREACH')!.title).toMatch(/^STAT CT head at Alpha General: overdue by/);

    const item = await t.prisma.worklistItem.findUniqueOrThrow({ where: { id: claimedCase.id } });
    expect(item.breachedAt).not.toBeNull();
    expect(item.version).toBe(claimedCase.version + 1);
    const breach = (await escalations(claimedCase.id)).find((e) => e.level === 'BREACH')!;
    expect(breach.notifiedUserIds.sort()).toEqual([radA.id, admin.id].sort());
    expect(breach.dueAt).toEqual(claimedCase.dueAt);
  });

  it('a retried processor and re-added jobs (their ids are gone once completed) fire nothing more', async () => {
    const ids = Object.values(jobIds(claimedCase));
    expect(await Promise.all(ids.map((id) => queue().getJob(id)))).toEqual([undefined, undefined, undefined]);
    // The processor run again, three times at once per level (as retries and duplicate workers would).
    const escalation = t.app.get(EscalationService);
    const runs = await Promise.all(
      slaEscalationJobs(claimedCase).flatMap((j) => [escalation.fire(j.data), escalation.fire(j.data), escalation.fire(j.data)]),
    );
    expect(new Set(runs)).toEqual(new Set(['already-fired']));
    await t.app.get(QueueService).addBulk('sla-escalation', slaEscalationJobs(claimedCase));
    await runNow(ids);
    expect(await escalations(claimedCase.id)).toHaveLength(3);
    expect(await notifications(claimedCase.id)).toHaveLength(6);
    const item = await t.prisma.worklistItem.findUniqueOrThrow({ where: { id: claimedCase.id } });
    expect(item.version).toBe(claimedCase.version + 1); // the breach was marked once
  });

  it('admins of another network hear nothing; their own network\'s cases reach them', async () => {
    expect(await t.prisma.notification.count({ where: { userId: other.adminId, worklistItemId: claimedCase.id } })).toBe(0);
    expect(perRecipient(await notifications(foreignCase.id))).toEqual({ [`SLA_WARN_50/${other.adminId}`]: 1 });
  });

  it('notifications are read by their recipient only', async () => {
    const mine = await api.get('/api/notifications?limit=200', { token: tokens.radA });
    expect(mine.status).toBe(200);
    expect(mine.body.items.filter((n: any) => n.worklistItemId === claimedCase.id).map((n: any) => n.kind).sort()).toEqual(['SLA_BREACH', 'SLA_WARN_50', 'SLA_WARN_80']);
    const admin = await api.get('/api/notifications?limit=200', { token: tokens.admin });
    expect(admin.body.items.filter((n: any) => n.worklistItemId === claimedCase.id)).toHaveLength(3);
    expect(admin.body.items.some((n: any) => n.worklistItemId === foreignCase.id)).toBe(false);
    for (const who of ['radAB', 'staffA', 'admin2']) {
      const r = await api.get('/api/notifications?limit=200', { token: tokens[who] });
      expect(r.status).toBe(200);
      expect(r.body.items.some((n: any) => n.worklistItemId === claimedCase.id)).toBe(false);
    }
    // Someone else's notification cannot be marked read either.
    const id = mine.body.items[0].id;
    expect((await api.post(`/api/notifications/${id}/read`, undefined, { token: tokens.radAB })).status).toBe(404);
  });

  it('the breach shows on the worklist (breachedAt)', async () => {
    const r = await api.get('/api/worklist?limit=500', { token: tokens.admin });
    expect(r.status).toBe(200);
    const row = r.body.items.find((i: any) => i.id === claimedCase.id);
    expect(row.breachedAt).toBe((await t.prisma.worklistItem.findUniqueOrThrow({ where: { id: claimedCase.id } })).breachedAt!.toISOString());
  });

  it('admins list recent escalations of their own hospitals', async () => {
    const mine = await api.get('/api/worklist/escalations', { token: tokens.admin });
    expect(mine.status).toBe(200);
    const ours = mine.body.items.filter((e: any) => e.worklistItemId === claimedCase.id);
    expect(ours.map((e: any) => e.level).sort()).toEqual(['BREACH', 'WARN_50', 'WARN_80']);
    expect(ours[0]).toMatchObject({ hospitalId: world.hospitalA.id, hospitalName: 'Alpha General', priority: 'STAT', modality: 'CT', state: 'CLAIMED' });
    expect(ours[0].firedAt).toMatch(/^\d{4}-/);
    expect(mine.body.items.some((e: any) => e.worklistItemId === foreignCase.id)).toBe(false);
    const theirs = await api.get('/api/worklist/escalations', { token: tokens.admin2 });
    expect(theirs.body.items.map((e: any) => e.worklistItemId)).toEqual([foreignCase.id]);
    const later = await api.get(`/api/worklist/escalations?since=${encodeURIComponent(new Date(Date.now() + MIN).toISOString())}`, { token: tokens.admin });
    expect(later.body.items).toEqual([]);
    expect((await api.get('/api/worklist/escalations?since=yesterday', { token: tokens.admin })).status).toBe(400);
    expect((await api.get('/api/worklist/escalations?hospital=x', { token: tokens.admin })).status).toBe(400);
    expect((await api.get('/api/worklist/escalations', { token: tokens.radA })).status).toBe(403);
    expect((await api.get('/api/worklist/escalations')).status).toBe(401);
  });

  it('final cases never escalate', async () => {
    const now = Date.now();
    const final = await makeCase({ receivedAt: now - 10 * MIN, dueAt: now + 10 * MIN, state: 'FINAL' });
    await runNow(Object.values(jobIds(final)));
    // Read while the warnings were pending: the case signed in between fires nothing further either.
    const signed = await makeCase({ receivedAt: now - 10 * MIN, dueAt: now + 10 * MIN });
    await waitFor('the 50 % warning', async () => (await firedLevels(signed.id)).length === 1);
    await t.prisma.worklistItem.update({ where: { id: signed.id }, data: { state: 'FINAL' } });
    const ids = jobIds(signed);
    await runNow([ids.WARN_80, ids.BREACH]);
    expect(await escalations(final.id)).toEqual([]);
    expect(await notifications(final.id)).toEqual([]);
    expect(await firedLevels(signed.id)).toEqual(['WARN_50']);
    expect((await t.prisma.worklistItem.findUniqueOrThrow({ where: { id: signed.id } })).breachedAt).toBeNull();
  });

  it('an order that raises the priority moves the due time: the new jobs fire, the stale ones do nothing', async () => {
    // STAT turnaround of 1 min at hospital A; the case came in 58 s ago as routine (due in a day).
    await t.prisma.hospital.update({ where: { id: world.hospitalA.id }, data: { slaStatMinutes: 1 } });
    const receivedAt = Date.now() - 58_000;
    const routine = await makeCase({ priority: 'ROUTINE', receivedAt, dueAt: receivedAt + 1440 * MIN });
    const stale = jobIds(routine);
    const order = await api.post('/api/orders', { accessionNumber: routine.accessionNumber, priority: 'STAT', indication: 'sudden aphasia' }, { token: tokens.staffA });
    expect(order.status).toBe(201);
    const moved = await t.prisma.worklistItem.findUniqueOrThrow({ where: { id: routine.id } });
    expect(moved.dueAt.getTime()).toBe(receivedAt + MIN);
    // 50 % and 80 % of the new minute have passed: both warn now; the breach follows within seconds.
    await runNow(Object.values(stale));
    await waitFor('the breach at the new due time', async () => (await firedLevels(routine.id)).length === 3);
    const rows = await escalations(routine.id);
    expect(rows.every((e) => e.dueAt.getTime() === moved.dueAt.getTime())).toBe(true);
    const notes = await notifications(routine.id);
    expect(notes).toHaveLength(3); // unclaimed: the admin only, once per level
    expect(notes.find((n) => n.kind === 'SLA_WARN_80')!.title).toMatch(/, unclaimed$/);
    await t.prisma.hospital.update({ where: { id: world.hospitalA.id }, data: { slaStatMinutes: 30 } });
  });

  describe('restarts', () => {
    let restarted: Awaited<ReturnType<typeof makeCase>>;
    let lost: Awaited<ReturnType<typeof makeCase>>;
    let lostLate: Awaited<ReturnType<typeof makeCase>>;

    it('a worker stopped between levels: the next instance (same queue, same database) fires the rest, once', async () => {
      const now = Date.now();
      restarted = await makeCase({ receivedAt: now - 10 * MIN, dueAt: now + 10 * MIN });
      await waitFor('the 50 % warning', async () => (await firedLevels(restarted.id)).length === 1);
      await t.close({ keepQueues: true });
      await boot();
      const ids = jobIds(restarted);
      // The delayed jobs survived in Redis.
      expect(await queue().getJobState(ids.WARN_80)).toBe('delayed');
      expect(await queue().getJobState(ids.BREACH)).toBe('delayed');
      // Once the new instance's boot sweep is through, another finds nothing missing (jobs exist, 50 % fired).
      await t.app.get(JobSweepService).sweep();
      expect(await t.app.get(JobSweepService).sweep()).toMatchObject({ added: 0, retried: 0 });
      await runNow([ids.WARN_80, ids.BREACH]);
      expect(await firedLevels(restarted.id)).toEqual(['BREACH', 'WARN_50', 'WARN_80']);
      expect(perRecipient(await notifications(restarted.id))).toEqual({
        [`SLA_WARN_50/${world.users.admin.id}`]: 1,
        [`SLA_WARN_80/${world.users.admin.id}`]: 1,
        [`SLA_BREACH/${world.users.admin.id}`]: 1,
      });
    });

    it('Redis lost every job: the boot sweep re-creates them from the database', async () => {
      const now = Date.now();
      // Cases the last instance scheduled, as far as the database knows; Redis then loses everything.
      lost = await makeCase({ receivedAt: now - 10 * MIN, dueAt: now + 10 * MIN, enqueue: false });
      lostLate = await makeCase({ receivedAt: now - 20 * MIN, dueAt: now + 2 * MIN, enqueue: false }); // past 80 %
      await t.close({ keepQueues: true });
      const redis = new Redis(t.config.REDIS_URL);
      const keys = await redis.keys(`${QUEUE_PREFIX}:*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();

      await boot();
      await waitFor('the re-created 50 % warning', async () => (await firedLevels(lost.id)).length === 1);
      await waitFor('the re-created 80 % warning', async () => (await firedLevels(lostLate.id)).length === 1);
      // Past 80 % with nothing sent: one 80 % warning, not a stale 50 % one as well.
      expect(await firedLevels(lostLate.id)).toEqual(['WARN_80']);
      // The chain goes on from there: each level schedules the next.
      const ids = jobIds(lost);
      expect(await queue().getJobState(ids.WARN_80)).toBe('delayed');
      expect(await queue().getJobState(jobIds(lostLate).BREACH)).toBe('delayed');
      await runNow([ids.WARN_80]);
      expect(await queue().getJobState(ids.BREACH)).toBe('delayed');
      await runNow([ids.BREACH]);
      expect(await firedLevels(lost.id)).toEqual(['BREACH', 'WARN_50', 'WARN_80']);
      expect(await notifications(lost.id)).toHaveLength(3);
      // Cases that had fired everything stay quiet; a second sweep finds nothing to add.
      expect(await firedLevels(restarted.id)).toEqual(['BREACH', 'WARN_50', 'WARN_80']);
      expect(await notifications(restarted.id)).toHaveLength(3);
      expect(await notifications(claimedCase.id)).toHaveLength(6);
      expect(await t.app.get(JobSweepService).sweep()).toMatchObject({ added: 0, retried: 0 });
    });
  });
});
