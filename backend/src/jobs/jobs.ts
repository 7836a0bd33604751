/**
 * Every background job of the platform, declared once: queue name → payload.
 * Producers and processors both type against this map.
 */
export interface JobPayloads {
  /** A study received an instance; when it has been quiet for STUDY_STABLE_SECONDS it is complete. */
  'study-stable': { studyId: string };
  /** Pull new studies from one hospital archive (scheduled per archive). */
  'archive-sync': { archiveId: string };
}

export type QueueName = keyof JobPayloads;
export const QUEUE_NAMES: readonly QueueName[] = ['study-stable', 'archive-sync'];
