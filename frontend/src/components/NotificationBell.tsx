'use client';

import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '@/lib/api';
import { formatDateTime } from '@/lib/format';
import type { NotificationView } from '@/lib/types';
import { useWorklistLive } from '@/lib/worklist-live';

const TOAST_MS = 10_000;
const URGENT_KINDS = new Set<NotificationView['kind']>(['SLA_BREACH', 'SLA_WARN_80']);

function kindClass(n: NotificationView) {
  if (n.kind === 'SLA_BREACH') return 'note-breach';
  if (n.kind === 'SLA_WARN_80' || n.kind === 'SLA_WARN_50') return 'note-warn';
  return 'note-info';
}

/**
 * Unread notifications (SLA warnings, assignments) with a count in the top bar, and a toast
 * when one arrives live. Opening one marks it read and leads to the worklist.
 */
export function NotificationBell() {
  const router = useRouter();
  const [unread, setUnread] = useState<NotificationView[]>([]);
  const [toasts, setToasts] = useState<NotificationView[]>([]);
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const timers = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  /** Read here while a reload was on its way: its answer must not bring them back. */
  const readHere = useRef(new Set<string>());

  const load = useCallback(() => {
    api
      .notifications(true, { redirectOnAuthFailure: false })
      .then((res) => setUnread(res.items.filter((n) => !n.readAt && !readHere.current.has(n.id))))
      .catch(() => {
        /* keep what we have; the next reconnect reloads */
      });
  }, []);
  useEffect(load, [load]);

  const dismissToast = useCallback((id: string) => {
    clearTimeout(timers.current.get(id));
    timers.current.delete(id);
    setToasts((prev) => prev.filter((t) => t.id !== id));
  }, []);

  useEffect(() => {
    const all = timers.current;
    return () => all.forEach((t) => clearTimeout(t));
  }, []);

  useWorklistLive({
    notification(n) {
      setUnread((prev) => (prev.some((p) => p.id === n.id) ? prev : [n, ...prev]));
      setToasts((prev) => (prev.some((p) => p.id === n.id) ? prev : [...prev.slice(-3), n]));
      timers.current.set(
        n.id,
        setTimeout(() => dismissToast(n.id), URGENT_KINDS.has(n.kind) ? TOAST_MS * 2 : TOAST_MS),
      );
    },
    connected: load,
  });

  // Close the list on Escape or a click elsewhere.
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false);
    const onClick = (e: MouseEvent) => {
      if (root.current && !root.current.contains(e.target as Node)) setOpen(false);
    };
    window.addEventListener('keydown', onKey);
    window.addEventListener('mousedown', onClick);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('mousedown', onClick);
    };
  }, [open]);

  const markRead = useCallback((ids: string[]) => {
    for (const id of ids) readHere.current.add(id);
    setUnread((prev) => prev.filter((n) => !ids.includes(n.id)));
    for (const id of ids) void api.markNotificationRead(id).catch(() => undefined);
  }, []);

  const openNote = (n: NotificationView) => {
    markRead([n.id]);
    dismissToast(n.id);
    setOpen(false);
    if (n.worklistItemId) router.push('/worklist');
  };

  const count = unread.length;
  return (
    <div className="bell" ref={root}>
      <button
        type="button"
        className={`bell-button${count ? ' bell-has' : ''}`}
        aria-haspopup="true"
        aria-expanded={open}
        aria-label={count ? `${count} unread notifications` : 'Notifications'}
        data-testid="notification-bell"
        onClick={() => setOpen((o) => !o)}
      >
        <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
          <path
            fill="currentColor"
            d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"
          />
        </svg>
        {count > 0 && (
          <span className="bell-count" data-testid="notification-count">
            {count > 99 ? '99+' : count}
          </span>
        )}
      </button>
      {open && (
        <div className="bell-panel" role="dialog" aria-label="Notifications">
          <div className="bell-panel-head">
            <strong>Notifications</strong>
            {count > 0 && (
              <button type="button" className="btn btn-small btn-ghost" onClick={() => markRead(unread.map((n) => n.id))}>
                Mark all read
              </button>
            )}
          </div>
          {count === 0 ? (
            <p className="muted small bell-empty">Nothing new.</p>
          ) : (
            <ul className="bell-list">
              {unread.map((n) => (
                <li key={n.id}>
                  <button type="button" className={`bell-item ${kindClass(n)}`} onClick={() => openNote(n)} data-testid="notification-item">
                    <span className="bell-item-title">{n.title}</span>
                    <span className="bell-item-body">{n.body}</span>
                    <span className="bell-item-time">{formatDateTime(n.createdAt)}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <div className="toasts" aria-live="polite" aria-relevant="additions">
        {toasts.map((n) => (
          <div key={n.id} className={`toast ${kindClass(n)}`} role={n.kind === 'SLA_BREACH' ? 'alert' : 'status'} data-testid="toast">
            <button type="button" className="toast-main" onClick={() => openNote(n)}>
              <span className="bell-item-title">{n.title}</span>
              <span className="bell-item-body">{n.body}</span>
            </button>
            <button type="button" className="toast-close" aria-label="Dismiss" onClick={() => dismissToast(n.id)}>
              ✕
            </button>
          </div>
        ))}
      </div>
    </div>
  );
}
