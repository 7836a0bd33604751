import type { NotificationView, Priority, SlaLevel } from '../contracts/worklist.js';

/** What a message may say about a case: staff-facing, no patient name or MRN (the accession number finds the case). */
export interface EscalationCase {
  priority: Priority;
  modality: string | null;
  bodyPart: string | null;
  description: string | null;
  accessionNumber: string | null;
  hospitalName: string;
  hospitalTimezone: string;
  dueAt: Date;
  /** Display name of the radiologist holding the case, or null when nobody does. */
  readerName: string | null;
}

export const NOTIFICATION_KIND: Readonly<Record<SlaLevel, NotificationView['kind']>> = {
  WARN_50: 'SLA_WARN_50',
  WARN_80: 'SLA_WARN_80',
  BREACH: 'SLA_BREACH',
};

/** "6 min", "1 h 20 min", "2 d 3 h"; under a minute is "<1 min". */
export function formatDuration(ms: number): string {
  const minutes = Math.floor(Math.abs(ms) / 60_000);
  if (minutes < 1) return '<1 min';
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** "STAT CT head", "ROUTINE MR", as readers call a case. */
export function caseLabel(c: Pick<EscalationCase, 'priority' | 'modality' | 'bodyPart'>): string {
  return [c.priority, c.modality ?? 'study', c.bodyPart?.toLowerCase()].filter(Boolean).join(' ');
}

/** Local clock time at the hospital, e.g. "14:32 CST". */
function hospitalTime(at: Date, timeZone: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' }).format(at);
  } catch {
    return `${at.toISOString().slice(11, 16)} UTC`; // unknown time zone name: still say when
  }
}

/**
 * The notification for one escalation, in the radiologist's words:
 * "STAT CT head at Alpha General: 6 min left, unclaimed".
 */
export function escalationMessage(level: SlaLevel, c: EscalationCase, now: number): { kind: NotificationView['kind']; title: string; body: string } {
  const left = c.dueAt.getTime() - now;
  const clock = level === 'BREACH' || left <= 0 ? `overdue by ${formatDuration(left)}` : `${formatDuration(left)} left`;
  const holder = c.readerName ? `with ${c.readerName}` : 'unclaimed';
  // The 80 % warning is the one that must say when nobody holds the case; the others say who does in the body.
  const title = `${caseLabel(c)} at ${c.hospitalName}: ${clock}${level === 'WARN_80' && !c.readerName ? ', unclaimed' : ''}`;
  const what = level === 'WARN_50' ? 'Half the turnaround time has passed.' : level === 'WARN_80' ? '80 % of the turnaround time has passed.' : 'Turnaround target missed.';
  const details = [
    c.accessionNumber ? `Accession ${c.accessionNumber}` : null,
    c.description,
    `due ${hospitalTime(c.dueAt, c.hospitalTimezone)}`,
    holder,
  ].filter(Boolean);
  return { kind: NOTIFICATION_KIND[level], title, body: `${what} ${details.join(' · ')}.` };
}
