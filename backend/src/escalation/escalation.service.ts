import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { SlaEscalationView } from '../contracts/worklist.js';
import { JobSweepService } from '../jobs/job-sweep.service.js';
import type { JobPayloads } from '../jobs/jobs.js';
import { QueueService } from '../jobs/queue.service.js';
import { presentNotification } from '../notifications/notifications.service.js';
import { WorklistEvents } from '../realtime/worklist-events.service.js';
import { slaEscalationJobs } from '../worklist/sla.js';
import { escalationMessage } from './escalation-messages.js';
import { isSuperseded, levelsToSchedule, nextLevel } from './escalation-plan.js';
import { EscalationRepository } from './escalation.repository.js';

/** What one escalation job did (its return value, visible in BullMQ and in logs). */
export type EscalationOutcome = 'missing' | 'final' | 'stale' | 'superseded' | 'already-fired' | 'fired';

/**
 * Processes 'sla-escalation' jobs: warns the reader holding the case and the network's admins at
 * 50 % and 80 % of the turnaround time, and marks the breach at the due time. Idempotent under
 * retries, duplicate jobs and restarts: only the run that inserts the SlaEscalation row notifies.
 */
@Injectable()
export class EscalationService implements OnModuleInit {
  private readonly logger = new Logger(EscalationService.name);

  constructor(
    private readonly queues: QueueService,
    private readonly repository: EscalationRepository,
    private readonly events: WorklistEvents,
    private readonly sweep: JobSweepService,
  ) {}

  onModuleInit(): void {
    this.queues.process('sla-escalation', (job) => this.fire(job.data));
    // Jobs Redis lost come back from the open cases: at most two per case, the latest level due if
    // it never fired for the current due time, and the next one ahead (each processed level
    // schedules the one after it). The SlaEscalation row, not the job id, makes a re-run fire nothing.
    this.sweep.register('sla-escalation', {
      read: (after, limit) => this.repository.openCasesAfter(after, limit),
      jobs: (cases, now) =>
        cases.flatMap((c) => {
          const levels = levelsToSchedule(c, c.fired, now);
          return slaEscalationJobs(c, now).filter((j) => levels.includes(j.data.level));
        }),
    });
  }

  async fire(job: JobPayloads['sla-escalation'], now = Date.now()): Promise<EscalationOutcome> {
    const item = await this.repository.findCase(job.itemId);
    if (!item) return 'missing';
    if (item.state === 'FINAL') return 'final';
    // The order changed the due time after this job was scheduled: the jobs for the new one speak.
    if (item.dueAt.getTime() !== Date.parse(job.dueAt)) return 'stale';
    // Each level makes sure the next one is scheduled, so a chain the sweep restarted after Redis
    // lost its jobs runs to the breach (a no-op add when intake's job is still there).
    const next = nextLevel(job.level);
    if (next) await this.queues.addBulk('sla-escalation', slaEscalationJobs(item, now).filter((j) => j.data.level === next));
    if (isSuperseded(job.level, item, now)) return 'superseded';

    // A lapsed claim (or a deactivated reader's) is nobody's: the case is back up for grabs.
    const claim = item.claimedBy;
    const held = item.state === 'PRELIMINARY' || (item.state === 'CLAIMED' && (!item.leaseExpiresAt || item.leaseExpiresAt.getTime() > now));
    const holder = claim?.active && held ? claim : null;
    const admins = await this.repository.activeAdminIds(item.hospital.networkId);
    const recipients = [...new Set([...(holder ? [holder.id] : []), ...admins])];
    const message = escalationMessage(
      job.level,
      {
        priority: item.priority,
        modality: item.study.modalities[0] ?? null,
        bodyPart: item.study.bodyPart,
        description: item.study.description,
        accessionNumber: item.study.accessionNumber,
        hospitalName: item.hospital.name,
        hospitalTimezone: item.hospital.timezone,
        dueAt: item.dueAt,
        readerName: holder?.displayName ?? null,
      },
      now,
    );

    const stored = await this.repository.record({ itemId: item.id, level: job.level, dueAt: item.dueAt, recipients, notification: message, at: new Date(now) });
    if (!stored) return 'already-fired';
    // Pushed after commit, best effort: if this fails or the process dies here, the notifications
    // are stored and listed anyway (and a retry would find the row and push nothing).
    try {
      await Promise.all(stored.map((n) => this.events.notify(n.userId, presentNotification(n))));
      // A breach is shown on the case's row; no list orders or filters by it.
      if (job.level === 'BREACH') await this.events.changed([item.id], undefined, false);
    } catch (err) {
      this.logger.warn({ err, itemId: item.id, level: job.level }, 'SLA escalation stored but not pushed live');
    }
    this.logger.log({ itemId: item.id, level: job.level, recipients: recipients.length }, 'SLA escalation fired');
    return 'fired';
  }

  /** Recent escalations in the caller's hospitals (admins), without patient data. */
  async recent(since: Date, limit: number): Promise<SlaEscalationView[]> {
    const rows = await this.repository.listRecent(since, limit);
    return rows.map((r) => ({
      id: r.id,
      worklistItemId: r.worklistItemId,
      level: r.level,
      dueAt: r.dueAt.toISOString(),
      firedAt: r.firedAt.toISOString(),
      hospitalId: r.worklistItem.hospitalId,
      hospitalName: r.worklistItem.hospital.name,
      priority: r.worklistItem.priority,
      modality: r.worklistItem.study.modalities[0] ?? null,
      state: r.worklistItem.state,
      notifiedUserIds: r.notifiedUserIds,
    }));
  }
}
