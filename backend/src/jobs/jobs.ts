import type { SlaLevel } from '../contracts/worklist.js';

/**
 * Every background job of the platform, declared once: queue name → payload.
 * Producers and processors both type against this map.
 */
export interface JobPayloads {
  /** A study received an instance; when it has been quiet for STUDY_STABLE_SECONDS it is complete. */
  'study-stable': { studyId: string };
  /** Pull new studies from one hospital archive (scheduled per archive). */
  'archive-sync': { archiveId: string };
  /** A claim's lease ends at leaseExpiresAt unless the viewer's heartbeat renewed it (then a later job exists). */
  'claim-lease': { itemId: string; leaseExpiresAt: string };
  /** Offer a new or returned case to the least-loaded eligible on-shift reader. */
  'auto-assign': { itemId: string };
  /** Warn at 50 % and 80 % of the time allowed, and mark the breach at the due time; `dueAt` = the due time it was computed for. */
  'sla-escalation': { itemId: string; level: SlaLevel; dueAt: string };
}

export type QueueName = keyof JobPayloads;
export const QUEUE_NAMES: readonly QueueName[] = ['study-stable', 'archive-sync', 'claim-lease', 'auto-assign', 'sla-escalation'];

/** BullMQ job ids may not contain ':'; ids built here make a job unique per purpose. */
export const jobId = (...parts: (string | number)[]) => parts.join('.');
