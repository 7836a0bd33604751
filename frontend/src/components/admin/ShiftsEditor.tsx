'use client';

import { useEffect, useState, type FormEvent } from 'react';
import { ApiErrorView } from '@/components/ApiErrorView';
import { api } from '@/lib/api';
import { useApiResource } from '@/lib/hooks';
import type { Shift } from '@/lib/types';
import { FormStatus, useSubmit } from './forms';

const HOUR = 3_600_000;
const pad = (n: number) => String(n).padStart(2, '0');

/** ISO instant → the value of a datetime-local input, in this browser's time zone. */
function toLocalInput(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local value (no offset: the browser reads it as local time) → ISO instant, or null. */
function fromLocalInput(value: string): string | null {
  const t = new Date(value).getTime();
  return value && !Number.isNaN(t) ? new Date(t).toISOString() : null;
}

interface Row {
  key: number;
  startsAt: string;
  endsAt: string;
  /** As stored: an untouched time is sent back exactly (inputs show whole minutes only). */
  stored: Shift;
}

let nextKey = 0;
const row = (s: Shift): Row => ({ key: ++nextKey, startsAt: toLocalInput(s.startsAt), endsAt: toLocalInput(s.endsAt), stored: s });

const instant = (value: string, stored: string) => (value === toLocalInput(stored) ? stored : fromLocalInput(value)!);

/** Why the list cannot be saved as it stands, or null. */
function problem(rows: Row[]): string | null {
  for (const [i, r] of rows.entries()) {
    const start = fromLocalInput(r.startsAt);
    const end = fromLocalInput(r.endsAt);
    if (!start || !end) return `Shift ${i + 1}: give a start and an end.`;
    if (end <= start) return `Shift ${i + 1}: the end must be after the start.`;
  }
  return null;
}

/**
 * A radiologist's shifts, edited as a whole and saved with one PUT (auto-assignment offers cases
 * only to readers on shift). Times are shown and entered in the admin's own time zone.
 */
export function ShiftsEditor({ userId, name, onClose }: { userId: string; name: string; onClose: () => void }) {
  const shifts = useApiResource(`shifts-${userId}`, (signal) => api.shifts(userId, { signal }));
  const [rows, setRows] = useState<Row[] | null>(null);
  const submit = useSubmit();
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const prefix = `shifts-${userId}`;
  const [now] = useState(() => Date.now());

  useEffect(() => {
    if (shifts.data && rows === null) setRows(shifts.data.items.map(row));
  }, [shifts.data, rows]);

  const add = () =>
    setRows((list) => {
      // After the last shift, or from the next full hour, for eight hours.
      const last = list?.at(-1);
      const lastEnd = last && fromLocalInput(last.endsAt);
      const start = lastEnd ? new Date(lastEnd) : new Date(Math.ceil(Date.now() / HOUR) * HOUR);
      return [...(list ?? []), row({ startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 8 * HOUR).toISOString() })];
    });
  const set = (key: number, field: 'startsAt' | 'endsAt', value: string) =>
    setRows((list) => list?.map((r) => (r.key === key ? { ...r, [field]: value } : r)) ?? list);
  const remove = (key: number) => setRows((list) => list?.filter((r) => r.key !== key) ?? list);

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (!rows) return;
    void submit.run(async () => {
      const why = problem(rows);
      if (why) throw new Error(why);
      const saved = await api.replaceShifts(
        userId,
        rows.map((r) => ({ startsAt: instant(r.startsAt, r.stored.startsAt), endsAt: instant(r.endsAt, r.stored.endsAt) })),
      );
      setRows(saved.items.map(row));
      return `${saved.items.length} shift${saved.items.length === 1 ? '' : 's'} saved.`;
    });
  };

  return (
    <form className="card" onSubmit={onSubmit} aria-labelledby={`${prefix}-title`} data-testid="shifts-editor">
      <h2 id={`${prefix}-title`}>Shifts of {name}</h2>
      <p className="muted small">
        Times in your time zone ({zone}). Auto-assignment offers cases only to readers on shift; saving replaces the whole schedule.
      </p>
      <ApiErrorView error={shifts.error} onRetry={shifts.reload} />
      {rows === null ? (
        !shifts.error && <p className="muted">Loading shifts…</p>
      ) : (
        <>
          {rows.length === 0 ? (
            <p className="empty">No shifts: never offered cases automatically.</p>
          ) : (
            <table className="table table-dense">
              <thead>
                <tr>
                  <th>Starts</th>
                  <th>Ends</th>
                  <th className="actions-col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r, i) => {
                  const end = fromLocalInput(r.endsAt);
                  const past = end !== null && Date.parse(end) <= now;
                  return (
                    <tr key={r.key} data-testid="shift-row" className={past ? 'muted' : undefined}>
                      <td>
                        <input
                          type="datetime-local"
                          name="startsAt"
                          aria-label={`Shift ${i + 1} starts`}
                          required
                          value={r.startsAt}
                          onChange={(e) => set(r.key, 'startsAt', e.target.value)}
                        />
                      </td>
                      <td>
                        <input
                          type="datetime-local"
                          name="endsAt"
                          aria-label={`Shift ${i + 1} ends`}
                          required
                          min={r.startsAt || undefined}
                          value={r.endsAt}
                          onChange={(e) => set(r.key, 'endsAt', e.target.value)}
                        />{' '}
                        {past && <span className="small">ended</span>}
                      </td>
                      <td className="actions-col">
                        <button type="button" className="btn btn-small" aria-label={`Remove shift ${i + 1}`} onClick={() => remove(r.key)}>
                          Remove
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
          <div className="form-actions" style={{ marginTop: '0.75rem' }}>
            <button type="button" className="btn" onClick={add} data-testid="add-shift">
              Add shift
            </button>
            <button type="submit" className="btn btn-primary" disabled={submit.busy}>
              {submit.busy ? 'Saving…' : 'Save shifts'}
            </button>
            <button type="button" className="btn" onClick={onClose}>
              Close
            </button>
            <FormStatus state={submit} />
          </div>
        </>
      )}
    </form>
  );
}
