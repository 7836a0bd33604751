/** Doublings before the wait between attempts stops growing: at most 2^5 = 32 sync intervals. */
const MAX_DOUBLINGS = 5;

/**
 * How long to leave an archive alone after `failures` consecutive failed syncs:
 * one interval after the first, then doubling, capped at 32 intervals
 * (ARCHIVE_SYNC_SECONDS=10 → 10 s, 20 s, 40 s, … 5 min 20 s).
 */
export function backoffMs(failures: number, intervalMs: number): number {
  if (failures <= 0) return 0;
  return intervalMs * 2 ** Math.min(failures - 1, MAX_DOUBLINGS);
}

/** DICOM DA (YYYYMMDD) of a date, in UTC. */
export function dicomDate(d: Date): string {
  return d.toISOString().slice(0, 10).replaceAll('-', '');
}
