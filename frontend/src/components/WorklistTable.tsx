'use client';

import Link from 'next/link';
import { Fragment, useState, type KeyboardEvent } from 'react';
import { formatDateTime, formatPersonName, orDash, timeLeft } from '@/lib/format';
import { useNow } from '@/lib/hooks';
import type { WorklistItemView } from '@/lib/types';
import { WORKLIST_SUBSPECIALTIES } from '@/lib/worklist-query';
import { PriorityBadge } from './PriorityBadge';

export function viewerHref(uid: string) {
  return `/viewer/${encodeURIComponent(uid)}`;
}

const SUBSPECIALTY_LABEL = new Map(WORKLIST_SUBSPECIALTIES.map((s) => [s.value, s.label]));

interface Props {
  items: WorklistItemView[];
  /** The signed-in user's id ("You" in the state column). */
  me: string;
  /** Radiologists claim; admins may only release. */
  canClaim: boolean;
  canRelease: (item: WorklistItemView) => boolean;
  /** Cases with a claim/release in flight. */
  busy: ReadonlySet<string>;
  /** The server's answer to a failed action, per case. */
  errors: ReadonlyMap<string, string>;
  emptyText: string;
  onOpen: (item: WorklistItemView) => void;
  onClaim: (item: WorklistItemView) => void;
  onRelease: (item: WorklistItemView) => void;
  onDecline: (item: WorklistItemView) => void;
  onDismissError: (id: string) => void;
  /** Admins only: the radiologists an open case may be handed to, and the handover. */
  reassign?: { readers: readonly Reader[]; onReassign: (item: WorklistItemView, userId: string) => void };
}

interface Reader {
  id: string;
  name: string;
}

/** Pick a radiologist for one case; the server says (422) why someone may not read it. */
function ReassignPicker({ item, readers, onPick, onCancel }: { item: WorklistItemView; readers: readonly Reader[]; onPick: (userId: string) => void; onCancel: () => void }) {
  const [userId, setUserId] = useState('');
  const choices = readers.filter((r) => r.id !== item.claimedBy);
  return (
    // Keys typed here belong to the picker, not to the page's shortcuts.
    <div className="actions" data-testid="reassign-picker" onKeyDown={(e) => e.stopPropagation()}>
      <span className="muted small">Reassign this case to</span>
      <select name="reassignTo" aria-label="Reassign to" value={userId} onChange={(e) => setUserId(e.target.value)} autoFocus>
        <option value="">Choose a radiologist…</option>
        {choices.map((r) => (
          <option key={r.id} value={r.id}>
            {r.name}
          </option>
        ))}
      </select>
      <button type="button" className="btn btn-small btn-primary" disabled={!userId} onClick={() => onPick(userId)}>
        Assign
      </button>
      <button type="button" className="btn btn-small btn-ghost" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}

function SlaClock({ item, now }: { item: WorklistItemView; now: number }) {
  const left = timeLeft(item.receivedAt, item.dueAt, now);
  const level = left.overdue || item.breachedAt ? 'overdue' : left.critical ? 'critical' : left.warning ? 'warning' : 'ok';
  const text = item.breachedAt && !left.overdue ? 'SLA breached' : left.text;
  return (
    <td
      className={`clock clock-${level}`}
      data-testid="time-left"
      data-sla={level}
      title={`Received ${formatDateTime(item.receivedAt)} · due ${formatDateTime(item.dueAt)}`}
    >
      {text}
      <span className="sla-bar" aria-hidden="true">
        <span style={{ width: `${Number.isNaN(left.fraction) ? 100 : Math.round(left.fraction * 100)}%` }} />
      </span>
    </td>
  );
}

function StateCell({ item, me }: { item: WorklistItemView; me: string }) {
  const mine = item.claimedBy !== null && item.claimedBy === me;
  if (item.state === 'UNREAD') return <span className="state state-unread">Unread</span>;
  const who = mine ? 'You' : item.claimedByName || 'Another radiologist';
  if (item.state === 'CLAIMED' && mine && item.claimSource === 'AUTO') {
    return (
      <span className="state state-assigned" data-testid="claimant" data-claimant="me">
        Assigned to you
      </span>
    );
  }
  const label = item.state === 'PRELIMINARY' ? 'Preliminary' : 'Reading';
  return (
    <span className={`state state-${item.state.toLowerCase()}`}>
      {label}
      {' · '}
      <span className={mine ? 'claimant claimant-me' : 'claimant'} data-testid="claimant" data-claimant={mine ? 'me' : 'other'}>
        {who}
      </span>
    </span>
  );
}

/** Move keyboard focus to the previous/next row of the same table. */
function focusSibling(row: HTMLElement, step: 1 | -1) {
  const rows = Array.from(row.closest('tbody')?.querySelectorAll<HTMLElement>('tr[data-testid="worklist-row"]') ?? []);
  const i = rows.indexOf(row);
  rows[Math.min(rows.length - 1, Math.max(0, i + step))]?.focus();
}

export function WorklistTable(props: Props) {
  const { items, me, canClaim, canRelease, busy, errors, emptyText, onOpen, onClaim, onRelease, onDecline, onDismissError, reassign } = props;
  const now = useNow(1000);
  const [picking, setPicking] = useState<string | null>(null);

  if (items.length === 0) {
    return (
      <p className="empty" data-testid="worklist-empty">
        {emptyText}
      </p>
    );
  }

  const onRowKey = (e: KeyboardEvent<HTMLTableRowElement>, item: WorklistItemView) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const onRow = e.target === e.currentTarget;
    const mine = item.claimedBy === me;
    switch (e.key) {
      case 'ArrowDown':
      case 'j':
        focusSibling(e.currentTarget, 1);
        break;
      case 'ArrowUp':
      case 'k':
        focusSibling(e.currentTarget, -1);
        break;
      case 'Enter':
      case 'o':
        if (!onRow && e.key === 'Enter') return; // a button or link inside the row
        onOpen(item);
        break;
      case 'c':
        if (canClaim && item.state === 'UNREAD') onClaim(item);
        break;
      case 'r':
        if (item.state === 'CLAIMED' && canRelease(item)) onRelease(item);
        break;
      case 'd':
        if (mine && item.claimSource === 'AUTO' && item.state === 'CLAIMED') onDecline(item);
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  return (
    <div className="table-wrap">
      <table className="table table-clickable worklist-table">
        <thead>
          <tr>
            <th>Priority</th>
            <th>Time left</th>
            <th>Hospital</th>
            <th>Mod.</th>
            <th>Study</th>
            <th>Subspecialty</th>
            <th>Patient</th>
            <th>State</th>
            <th className="actions-col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((item) => {
            const mine = item.claimedBy !== null && item.claimedBy === me;
            const assigned = mine && item.claimSource === 'AUTO' && item.state === 'CLAIMED';
            const isBusy = busy.has(item.id);
            const open = item.state === 'UNREAD' || item.state === 'CLAIMED';
            const error = errors.get(item.id);
            const classes = [
              item.priority === 'STAT' ? 'row-stat' : '',
              mine ? 'row-mine' : '',
              item.state !== 'UNREAD' && !mine ? 'row-taken' : '',
            ]
              .filter(Boolean)
              .join(' ');
            return (
              <Fragment key={item.id}>
                <tr
                  data-testid="worklist-row"
                  data-id={item.id}
                  data-priority={item.priority}
                  data-modality={item.modality ?? ''}
                  data-state={item.state}
                  data-study-uid={item.studyInstanceUid}
                  className={classes || undefined}
                  tabIndex={0}
                  aria-label={`${item.priority} ${orDash(item.modality)} ${orDash(item.description)}, ${formatPersonName(item.patientName)}`}
                  onClick={() => onOpen(item)}
                  onKeyDown={(e) => onRowKey(e, item)}
                >
                  <td>
                    <PriorityBadge priority={item.priority} />
                  </td>
                  <SlaClock item={item} now={now} />
                  <td className="cell-hospital" title={item.hospitalName}>
                    {item.hospitalName}
                  </td>
                  <td className="strong" title={item.modalities.join(', ')}>
                    {orDash(item.modality)}
                  </td>
                  <td className="cell-study" title={item.indication ?? undefined}>
                    <span className="cell-main">{orDash(item.description)}</span>
                    {item.bodyPart && <span className="cell-sub">{item.bodyPart}</span>}
                  </td>
                  <td className="cell-sub-wrap" title={item.routingReason ?? undefined}>
                    <span className="cell-main">{SUBSPECIALTY_LABEL.get(item.subspecialty) ?? item.subspecialty}</span>
                    {item.routingReason && (
                      <span className="cell-sub" data-testid="routing-reason">
                        {item.routingReason}
                      </span>
                    )}
                  </td>
                  <td>
                    <span className="cell-main strong">{formatPersonName(item.patientName)}</span>
                    <span className="cell-sub mono">{item.patientMrn}</span>
                  </td>
                  <td>
                    <StateCell item={item} me={me} />
                  </td>
                  <td className="actions-col" onClick={(e) => e.stopPropagation()}>
                    <div className="actions">
                      {canClaim && item.state === 'UNREAD' && (
                        <button type="button" className="btn btn-small btn-claim" disabled={isBusy} onClick={() => onClaim(item)}>
                          Claim
                        </button>
                      )}
                      {assigned && (
                        <>
                          <button type="button" className="btn btn-small btn-primary" onClick={() => onOpen(item)}>
                            Accept
                          </button>
                          <button type="button" className="btn btn-small" disabled={isBusy} onClick={() => onDecline(item)}>
                            Decline
                          </button>
                        </>
                      )}
                      {!assigned && item.state === 'CLAIMED' && canRelease(item) && (
                        <button type="button" className="btn btn-small" disabled={isBusy} onClick={() => onRelease(item)}>
                          Release
                        </button>
                      )}
                      {reassign && open && (
                        <button type="button" className="btn btn-small" disabled={isBusy} aria-expanded={picking === item.id} onClick={() => setPicking(picking === item.id ? null : item.id)}>
                          Reassign
                        </button>
                      )}
                      {!assigned && (
                        <Link href={viewerHref(item.studyInstanceUid)} className="btn btn-small btn-ghost" data-testid="open-viewer">
                          Open
                        </Link>
                      )}
                    </div>
                  </td>
                </tr>
                {reassign && open && picking === item.id && (
                  <tr>
                    <td colSpan={9}>
                      <ReassignPicker
                        item={item}
                        readers={reassign.readers}
                        onCancel={() => setPicking(null)}
                        onPick={(userId) => {
                          setPicking(null);
                          reassign.onReassign(item, userId);
                        }}
                      />
                    </td>
                  </tr>
                )}
                {error && (
                  <tr className="row-error">
                    <td colSpan={9}>
                      <div className="row-error-inner" role="alert" data-testid="action-error">
                        <span>{error}</span>
                        <button type="button" className="btn btn-small btn-ghost" onClick={() => onDismissError(item.id)} aria-label="Dismiss">
                          ✕
                        </button>
                      </div>
                    </td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
