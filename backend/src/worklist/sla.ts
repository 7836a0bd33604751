import type { SlaLevel } from '../contracts/worklist.js';
import type { JobsOptions } from 'bullmq';
import type { Priority } from '../generated/prisma/enums.js';
import { jobId, type JobPayloads } from '../jobs/jobs.js';

/** The hospital's turnaround target for a priority, in minutes. */
export const slaMinutes = (h: { slaStatMinutes: number; slaUrgentMinutes: number; slaRoutineMinutes: number }, p: Priority) =>
  p === 'STAT' ? h.slaStatMinutes : p === 'URGENT' ? h.slaUrgentMinutes : h.slaRoutineMinutes;

/** Share of the time allowed (received → due) at which each escalation fires. */
export const SLA_CHECKPOINTS: Readonly<Record<SlaLevel, number>> = { WARN_50: 0.5, WARN_80: 0.8, BREACH: 1 };

/** When one escalation level is due for a case (share of received → due). */
export const slaCheckpointAt = (item: { receivedAt: Date; dueAt: Date }, level: SlaLevel) =>
  item.receivedAt.getTime() + (item.dueAt.getTime() - item.receivedAt.getTime()) * SLA_CHECKPOINTS[level];

/**
 * The delayed escalation jobs for one case and one due time. Job ids carry the due time, so
 * re-scheduling (retries, restarts, intake running twice) adds nothing, and a changed due time
 * (an order raised the priority) gets its own jobs while the stale ones find a different dueAt and do nothing.
 */
export function slaEscalationJobs(item: { id: string; receivedAt: Date; dueAt: Date }, now = Date.now()) {
  return (Object.keys(SLA_CHECKPOINTS) as SlaLevel[]).map((level) => ({
    name: 'sla-escalation' as const,
    data: { itemId: item.id, level, dueAt: item.dueAt.toISOString() } satisfies JobPayloads['sla-escalation'],
    opts: {
      jobId: jobId('sla', item.id, level, item.dueAt.getTime()),
      delay: Math.max(0, slaCheckpointAt(item, level) - now),
      // The processor is idempotent (one SlaEscalation row per level and due time): retrying is safe.
      attempts: 5,
      backoff: { type: 'exponential', delay: 2_000 },
      removeOnComplete: true,
      removeOnFail: 1000,
    } satisfies JobsOptions,
  }));
}
