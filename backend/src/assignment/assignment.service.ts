import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DelayedError, type Job, type JobsOptions } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import type { Priority, Subspecialty } from '../generated/prisma/enums.js';
import { JobSweepService } from '../jobs/job-sweep.service.js';
import { jobId, type JobPayloads } from '../jobs/jobs.js';
import { QueueService } from '../jobs/queue.service.js';
import { NotificationsService } from '../notifications/notifications.service.js';
import { WorklistEvents } from '../realtime/worklist-events.service.js';
import { AssignmentRepository } from './assignment.repository.js';
import { autoAssigns, ineligibility, type CaseTarget } from './eligibility.js';

/** A case in words for a notification: no patient data, just enough to find it. */
export interface CaseSummary {
  id: string;
  priority: Priority;
  modalities: readonly string[];
  hospitalName: string;
}

const inWords = (c: CaseSummary) => `${c.priority} ${c.modalities.filter((m) => m !== 'SR').join('/') || 'study'} at ${c.hospitalName}`;

/**
 * Lease jobs of auto-assignment offers carry this prefix: when such a lease lapses unrenewed, the
 * reader never took the case up, which counts as declining it.
 */
const OFFER = 'offer';
const LEASE = 'lease';
const RETRYING: Pick<JobsOptions, 'attempts' | 'backoff' | 'removeOnComplete' | 'removeOnFail'> = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: true,
  removeOnFail: 1000,
};

/**
 * The job that ends a lease at its expiry (`offer`: an auto-assignment not yet taken up). The id
 * carries the lease's end, so each renewal gets its own job and the older ones find nothing to do.
 */
export function leaseEndJob(itemId: string, leaseExpiresAt: Date, offer: boolean, now = Date.now()) {
  const at = leaseExpiresAt.getTime();
  return {
    data: { itemId, leaseExpiresAt: leaseExpiresAt.toISOString() } satisfies JobPayloads['claim-lease'],
    opts: { ...RETRYING, jobId: jobId(offer ? OFFER : LEASE, itemId, at), delay: Math.max(0, at - now) } satisfies JobsOptions,
  };
}

/** The job offering a case to auto-assignment. The id carries the case's version: one job per return to the list. */
export const autoAssignJob = (itemId: string, version: number) => ({
  data: { itemId } satisfies JobPayloads['auto-assign'],
  opts: { ...RETRYING, jobId: jobId('assign', itemId, version) } satisfies JobsOptions,
});

/**
 * Version bumps an open case can take without being offered again (an order arriving after the
 * images, the SLA breach): its live auto-assign job may carry a version up to this much older.
 */
const UNOFFERED_BUMPS = 2;

/**
 * Who reads what without a reader choosing: auto-assignment to the least-loaded eligible reader
 * on shift, and the end of claims whose viewer stopped renewing them. Both are jobs, safe to run
 * twice and in any number of processes.
 */
@Injectable()
export class AssignmentService implements OnModuleInit {
  private readonly logger = new Logger(AssignmentService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: AssignmentRepository,
    private readonly queues: QueueService,
    private readonly notifications: NotificationsService,
    private readonly events: WorklistEvents,
    private readonly sweep: JobSweepService,
  ) {}

  onModuleInit(): void {
    this.queues.process('claim-lease', (job, token) => this.endLease(job, token));
    this.queues.process('auto-assign', (job, token) => this.assign(job, token));
    // Jobs Redis lost come back from the database (both processors are conditional, so a job that
    // was not lost after all, or a lease renewed since, makes the re-added one do nothing).
    this.sweep.register('claim-lease', {
      read: (after, limit) => this.repository.claimsAfter(after, limit),
      jobs: (claims, now) =>
        claims.map((c) => {
          // An offer's lease is exactly the time allowed to accept it (taking it up renews the lease
          // from then). Either kind's job counts, should that tell wrongly (the setting changed).
          const offer = c.claimSource === 'AUTO' && c.leaseExpiresAt.getTime() - (c.claimedAt?.getTime() ?? 0) === this.acceptMs;
          const job = leaseEndJob(c.id, c.leaseExpiresAt, offer, now);
          return c.claimSource === 'AUTO' ? { ...job, alsoAs: [leaseEndJob(c.id, c.leaseExpiresAt, !offer).opts.jobId] } : job;
        }),
    });
    this.sweep.register('auto-assign', {
      read: (after, limit) => this.repository.autoAssignCandidatesAfter(after, limit),
      jobs: (cases) =>
        cases
          .filter((c) => autoAssigns(c.hospital, c.subspecialty))
          .map((c) => ({
            ...autoAssignJob(c.id, c.version),
            alsoAs: Array.from({ length: Math.min(UNOFFERED_BUMPS, c.version) }, (_, i) => autoAssignJob(c.id, c.version - 1 - i).opts.jobId),
          })),
    });
  }

  get claimLeaseMs() {
    return this.config.CLAIM_LEASE_SECONDS * 1000;
  }

  private get acceptMs() {
    return this.config.AUTO_ASSIGN_ACCEPT_SECONDS * 1000;
  }

  /** Schedules the end of a lease; a renewal schedules another and this one then finds nothing to do. */
  async scheduleLeaseEnd(itemId: string, leaseExpiresAt: Date, offer = false): Promise<void> {
    const { data, opts } = leaseEndJob(itemId, leaseExpiresAt, offer);
    await this.queues.add('claim-lease', data, opts);
  }

  /**
   * A case came back to the list (declined, lapsed): offer it again if its hospital auto-assigns
   * it. The job id carries the case's version, so one return queues one job however often this runs.
   */
  async offerAgain(item: { id: string; version: number; subspecialty: Subspecialty; autoAssign: boolean; autoAssignSubspecialties: readonly Subspecialty[] | null }): Promise<void> {
    if (!autoAssigns({ autoAssign: item.autoAssign, autoAssignSubspecialties: item.autoAssignSubspecialties ?? [] }, item.subspecialty)) return;
    const { data, opts } = autoAssignJob(item.id, item.version);
    await this.queues.add('auto-assign', data, opts);
  }

  /** Why this user may not read the case (for an admin's reassignment), null if they may; undefined: no such user. */
  async whyIneligible(userId: string, networkId: string, target: CaseTarget): Promise<string | null | undefined> {
    const reader = await this.repository.readerCredentials(userId, networkId);
    return reader ? ineligibility(reader, target) : undefined;
  }

  async notifyAssigned(readerId: string, c: CaseSummary, how: string): Promise<void> {
    await this.notifications.send([readerId], { kind: 'ASSIGNED', title: `Case assigned to you: ${inWords(c)}`, body: how, worklistItemId: c.id });
  }

  async notifyUnassigned(readerId: string, c: CaseSummary, why: string): Promise<void> {
    await this.notifications.send([readerId], { kind: 'UNASSIGNED', title: `Case taken off your list: ${inWords(c)}`, body: why, worklistItemId: c.id });
  }

  private async assign(job: Job<JobPayloads['auto-assign']>, token?: string): Promise<void> {
    const { itemId } = job.data;
    const acceptSeconds = this.config.AUTO_ASSIGN_ACCEPT_SECONDS;
    const outcome = await this.repository.autoAssign(itemId, this.acceptMs);
    if (outcome.kind === 'no-reader') {
      // Nobody eligible on shift: the same job tries again later (no new job, no busy loop);
      // once someone claims the case or the hospital stops auto-assigning, it ends as settled.
      await job.moveToDelayed(Date.now() + this.config.AUTO_ASSIGN_RETRY_SECONDS * 1000, token);
      throw new DelayedError();
    }
    if (outcome.kind === 'settled') return;
    await this.scheduleLeaseEnd(itemId, outcome.leaseExpiresAt, true);
    await this.events.changed([itemId]);
    const minutes = Math.max(1, Math.round(acceptSeconds / 60));
    await this.notifyAssigned(
      outcome.readerId,
      { id: itemId, priority: outcome.priority, modalities: outcome.modalities, hospitalName: outcome.hospitalName },
      `Open it within ${minutes} min to accept, or decline it; otherwise it is offered to another reader.`,
    );
  }

  private async endLease(job: Job<JobPayloads['claim-lease']>, token?: string): Promise<void> {
    const { itemId } = job.data;
    const lease = new Date(job.data.leaseExpiresAt);
    if (Number.isNaN(lease.getTime())) {
      this.logger.warn({ jobId: job.id }, 'claim-lease job without a valid lease time');
      return;
    }
    if (lease.getTime() > Date.now()) {
      // Delayed jobs may fire a little early; come back at the lease's end.
      await job.moveToDelayed(lease.getTime(), token);
      throw new DelayedError();
    }
    const offer = job.id?.startsWith(`${OFFER}.`) ?? false;
    const lapsed = await this.repository.lapse(itemId, lease, offer);
    if (!lapsed) return; // renewed, released, read, or already returned by an earlier run
    await this.offerAgain(lapsed);
    await this.events.changed([itemId]);
    const summary = { id: itemId, priority: lapsed.priority, modalities: lapsed.modalities, hospitalName: lapsed.hospitalName };
    await this.notifyUnassigned(
      lapsed.formerReaderId,
      summary,
      offer && lapsed.formerSource === 'AUTO'
        ? 'You did not open this case in time, so it is being offered to another reader.'
        : 'Your claim lapsed (the viewer stopped renewing it), so the case is back on the worklist.',
    );
  }
}
