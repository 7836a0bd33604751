import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leaseEndJob } from '../src/assignment/assignment.service.js';
import { studyStableJob } from '../src/ingest/ingest.service.js';
import { JobSweepService } from '../src/jobs/job-sweep.service.js';
import type { QueueName } from '../src/jobs/jobs.js';
import { QueueService } from '../src/jobs/queue.service.js';
import { RedisService } from '../src/redis/redis.service.js';
import { addCase, addHospital, addReader } from './assignment-fixtures.js';
import { createCase, createStudy, seedWorld, type World } from './fixtures.js';
import { client, createTestDatabase, startApp, waitFor, type TestApp } from './harness.js';

/**
 * Redis keeps nothing on disk: after a restart every job is gone. The job sweep (at boot and every
 * SLA_SWEEP_SECONDS; called directly here) re-creates claim-lease, auto-assign and study-stable jobs
 * from the database, besides the SLA escalations covered in escalation.test.ts.
 */
const QUEUE_PREFIX = `test_sweep_${randomBytes(4).toString('hex')}`;

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestApp;
let world: World;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  db = await createTestDatabase();
  // Short leases and quiet periods; offers stay open long enough not to lapse during a test.
  t = await startApp(db.url, { QUEUE_PREFIX, CLAIM_LEASE_SECONDS: '3', AUTO_ASSIGN_ACCEPT_SECONDS: '60', AUTO_ASSIGN_RETRY_SECONDS: '1', STUDY_STABLE_SECONDS: '2' });
  world = await seedWorld(t.prisma);
  api = client(t.baseUrl);
});
afterAll(async () => {
  await t?.close();
  await db?.drop();
});

const sweep = () => t.app.get(JobSweepService).sweep();
const queue = (name: QueueName) => t.app.get(QueueService).queue(name);
const row = (id: string) => t.prisma.worklistItem.findUniqueOrThrow({ where: { id } });

/** What a Redis restart does to one queue: every key of it gone (jobs, deduplication keys, counters). */
async function loseJobs(name: QueueName) {
  const redis = t.app.get(RedisService);
  const keys = await redis.keys(`${QUEUE_PREFIX}:${name}:*`);
  if (keys.length) await redis.del(...keys);
}

describe('the job sweep re-creates jobs Redis lost', () => {
  it('claim leases: a claim whose lease job was lost still lapses; a lease already past lapses at once', async () => {
    const h = await addHospital(t.prisma, world);
    const reader = await addReader(t.prisma, world, 'lessee', { subspecialties: ['NEURO'], licenses: { TX: 30 }, privileges: { [h.id]: 30 } });
    const item = await addCase(t.prisma, h.id);
    const claimed = await api.post(`/api/worklist/${item.id}/claim`, undefined, { token: (await api.login(reader.email)).accessToken });
    expect(claimed.status).toBe(200);
    const leaseJob = leaseEndJob(item.id, new Date(claimed.body.leaseExpiresAt), false).opts.jobId;
    expect(await queue('claim-lease').getJob(leaseJob)).toBeTruthy();
    // A claim whose lease ended a minute ago with nothing left to end it.
    const { item: overdue } = await createCase(t.prisma, h.id, { claimedById: reader.id, leaseMs: -60_000 });

    await loseJobs('claim-lease');
    expect(await queue('claim-lease').getJob(leaseJob)).toBeUndefined();
    const r = await sweep();
    expect(r.queues['claim-lease']).toMatchObject({ rows: 2, added: 2, retried: 0 });
    // The live lease's job waits for the lease's end (same id as the claim scheduled).
    expect(await queue('claim-lease').getJobState(leaseJob)).toBe('delayed');
    await waitFor('the overdue claim to return to the list', async () => (await row(overdue.id)).state === 'UNREAD', 5_000);
    expect((await row(item.id)).state).toBe('CLAIMED');
    await waitFor('the lost lease to lapse', async () => (await row(item.id)).state === 'UNREAD', 10_000);
    expect(await row(item.id)).toMatchObject({ claimedById: null, leaseExpiresAt: null, claimSource: null });
    expect((await sweep()).queues['claim-lease']).toMatchObject({ added: 0, retried: 0 });
  });

  it('auto-assignment: an open case whose job was lost is offered; a lost offer comes back as an offer', async () => {
    const h = await addHospital(t.prisma, world, { autoAssign: true });
    const reader = await addReader(t.prisma, world, 'auto', { subspecialties: ['NEURO'], licenses: { TX: 30 }, privileges: { [h.id]: 30 }, shift: 'on' });
    // Written as intake leaves a case; its auto-assign job is gone with Redis.
    const item = await addCase(t.prisma, h.id);
    await loseJobs('auto-assign');
    const r = await sweep();
    expect(r.queues['auto-assign']).toMatchObject({ added: 1, retried: 0 });

    const assigned = await waitFor('the case to be offered', async () => {
      const w = await row(item.id);
      return w.state === 'CLAIMED' && w;
    });
    expect(assigned).toMatchObject({ claimedById: reader.id, claimSource: 'AUTO' });
    const offerJob = leaseEndJob(item.id, assigned.leaseExpiresAt!, true).opts.jobId;
    const leaseJob = leaseEndJob(item.id, assigned.leaseExpiresAt!, false).opts.jobId;
    await waitFor("the offer's lease job", () => queue('claim-lease').getJob(offerJob));

    // The offer's job lost too: re-created under the offer's id (its lapse counts as declining), not as a plain lease.
    await loseJobs('claim-lease');
    const again = await sweep();
    expect(again.queues['claim-lease']).toMatchObject({ added: 1 });
    expect(await queue('claim-lease').getJobState(offerJob)).toBe('delayed');
    expect(await queue('claim-lease').getJob(leaseJob)).toBeUndefined();
    expect(await sweep()).toMatchObject({ added: 0, retried: 0 });
  });

  it('study completion: RECEIVING studies whose job was lost complete and reach the worklist', async () => {
    const receiving = async (lastInstanceAt: number) => {
      const { study } = await createStudy(t.prisma, world.hospitalA.id);
      return t.prisma.study.update({ where: { id: study.id }, data: { status: 'RECEIVING', completedAt: null, lastInstanceAt: new Date(lastInstanceAt) } });
    };
    const quiet = await receiving(Date.now() - 60_000); // quiet for long: due at once
    const busy = await receiving(Date.now()); // an instance just arrived: due when its quiet period ends
    await loseJobs('study-stable');

    const r = await sweep();
    expect(r.queues['study-stable']).toMatchObject({ rows: 2, added: 2, retried: 0 });
    const busyJobId = await queue('study-stable').getDeduplicationJobId(studyStableJob(busy.id, 0).opts.deduplication.id);
    const busyJob = busyJobId ? await queue('study-stable').getJob(busyJobId) : undefined;
    expect(busyJob?.opts.delay).toBeGreaterThan(0);
    expect(busyJob?.opts.delay).toBeLessThanOrEqual(2_000);
    // Run again at once: both jobs are known (by their deduplication keys), nothing is added.
    expect((await sweep()).queues['study-stable']).toMatchObject({ added: 0, retried: 0 });

    for (const s of [quiet, busy]) {
      await waitFor(`study ${s.id} on the worklist`, () => t.prisma.worklistItem.findUnique({ where: { studyId: s.id } }), 10_000);
      expect(await t.prisma.study.findUniqueOrThrow({ where: { id: s.id } })).toMatchObject({ status: 'COMPLETE' });
    }
    expect(await sweep()).toMatchObject({ added: 0, retried: 0 });
  });
});
