import type { SlaLevel } from '../contracts/worklist.js';
import { slaCheckpointAt } from '../worklist/sla.js';

export const SLA_LEVELS: readonly SlaLevel[] = ['WARN_50', 'WARN_80', 'BREACH'];

/** A warning whose next level has been due for longer than this is old news (the worker was down): skip it. */
export const SUPERSEDED_AFTER_MS = 60_000;

type Timing = { receivedAt: Date; dueAt: Date };

export const nextLevel = (level: SlaLevel): SlaLevel | undefined => SLA_LEVELS[SLA_LEVELS.indexOf(level) + 1];

/** True when a later level already speaks for this one (no "6 min left" for a case that is overdue). */
export function isSuperseded(level: SlaLevel, item: Timing, now: number): boolean {
  const next = nextLevel(level);
  return next !== undefined && now - slaCheckpointAt(item, next) >= SUPERSEDED_AFTER_MS;
}

/**
 * Which levels of a case need a job when jobs may have been lost: the latest level already due if
 * it never fired for this due time (earlier missed warnings are superseded by it: a recovered
 * platform sends one message per case, not three), and the next level ahead. Each processed level
 * schedules the one after it, so the chain continues from there.
 */
export function levelsToSchedule(item: Timing, fired: readonly SlaLevel[], now: number): SlaLevel[] {
  const latestDue = SLA_LEVELS.filter((level) => slaCheckpointAt(item, level) <= now).at(-1);
  // (A level ahead can only have fired early, e.g. a job promoted by hand; it stays fired.)
  const nextAhead = SLA_LEVELS.find((level) => slaCheckpointAt(item, level) > now && !fired.includes(level));
  return [...(latestDue && !fired.includes(latestDue) ? [latestDue] : []), ...(nextAhead ? [nextAhead] : [])];
}
