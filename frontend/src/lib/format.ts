/** DICOM PN "FAMILY^GIVEN^MIDDLE^PREFIX^SUFFIX" → "FAMILY, GIVEN MIDDLE". */
export function formatPersonName(pn: string | null | undefined): string {
  if (!pn) return '—';
  const alphabetic = pn.split('=')[0] ?? pn;
  if (!alphabetic.includes('^')) return alphabetic.trim() || '—';
  const [family = '', given = '', middle = '', prefix = '', suffix = ''] = alphabetic.split('^').map((s) => s.trim());
  const first = [prefix, given, middle].filter(Boolean).join(' ');
  const name = [family, first].filter(Boolean).join(', ');
  return (suffix ? `${name} ${suffix}` : name) || '—';
}

/** DICOM DA "YYYYMMDD" → "YYYY-MM-DD". */
export function formatDicomDate(da: string | null | undefined): string {
  if (!da) return '—';
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(da.trim());
  return m ? `${m[1]}-${m[2]}-${m[3]}` : da;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** ISO timestamp → "2026-11-23 14:05" in the browser's time zone. */
export function formatDateTime(iso: string | null | undefined, withSeconds = false): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}${withSeconds ? `:${pad(d.getSeconds())}` : ''}`;
  return `${date} ${time}`;
}

/** Duration → "2d 4h", "1h 05m", "12m 05s", "45s". */
export function formatDuration(ms: number): string {
  const s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${pad(m)}m`;
  if (m > 0) return `${m}m ${pad(s % 60)}s`;
  return `${s % 60}s`;
}

export interface TimeLeft {
  text: string;
  /** Less than 50 % of the turnaround window left. */
  warning: boolean;
  /** Less than 20 % of the turnaround window left, or overdue. */
  critical: boolean;
  overdue: boolean;
  /** Share of the window still left, 0..1 (0 when overdue; NaN when unknown). */
  fraction: number;
}

/** "12 min", "1 h 05 min": how late a case is, to the minute. */
function formatLate(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return '<1 min';
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  if (h >= 48) return `${Math.floor(h / 24)}d ${h % 24}h`;
  return `${h} h ${pad(minutes % 60)} min`;
}

/** Turnaround clock of a case received at `receivedAt`, due at `dueAt`. */
export function timeLeft(receivedAt: string, dueAt: string, now: number): TimeLeft {
  const due = Date.parse(dueAt);
  const received = Date.parse(receivedAt);
  if (Number.isNaN(due)) return { text: '—', warning: false, critical: false, overdue: false, fraction: NaN };
  const left = due - now;
  if (left <= 0) return { text: `overdue ${formatLate(now - due)}`, warning: true, critical: true, overdue: true, fraction: 0 };
  const window = Number.isNaN(received) ? NaN : due - received;
  const fraction = window > 0 ? Math.min(1, left / window) : NaN;
  return { text: formatDuration(left), warning: fraction < 0.5, critical: fraction < 0.2, overdue: false, fraction };
}

export function joinOrDash(values: readonly string[] | null | undefined): string {
  return values && values.length ? values.join(', ') : '—';
}

export function orDash(value: string | number | null | undefined): string {
  return value === null || value === undefined || value === '' ? '—' : String(value);
}

/** 1536 → "1.5 KB", 734003200 → "700 MB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}
