'use client';

/**
 * The worklist page's data: one page of cases for the current filters, kept live.
 *
 * - Changes to a row we hold are patched in place when their version is newer.
 * - A case we do not hold, or a change that moves a row (sort key, routing, filter
 *   membership), reloads the page; reloads are coalesced to at most two a second.
 * - FINAL cases and removed cases leave the list at once.
 * - Every (re)connect reloads (events are lost while offline); while offline the page
 *   also reloads on a slow timer.
 * - A reload answered after a newer event keeps the event's version of the row.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError } from './api';
import type { WorklistChange, WorklistItemView } from './types';
import { applyChange, apiParams, mayBelong, movesRow, type WorklistFilters } from './worklist-query';
import { useWorklistLive, type LiveStatus } from './worklist-live';

const MIN_RELOAD_GAP_MS = 500;
const OFFLINE_POLL_MS = 20_000;
const KEEP_CHANGES = 500;

export interface WorklistData {
  items: WorklistItemView[];
  total: number;
  loaded: boolean;
  loading: boolean;
  error: ApiError | Error | null;
  updatedAt: number | null;
  live: LiveStatus;
  /** Ask for a reload (coalesced). */
  reload: () => void;
  /** Put the server's answer for one case into the list (after claim, release…). */
  upsert: (item: WorklistItemView) => void;
}

export function useWorklist(filters: WorklistFilters, me: string): WorklistData {
  const [items, setItems] = useState<WorklistItemView[]>([]);
  const [total, setTotal] = useState(0);
  const [loaded, setLoaded] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [updatedAt, setUpdatedAt] = useState<number | null>(null);

  const params = useMemo(() => apiParams(filters), [filters]);
  const key = JSON.stringify(params);

  // Mutable state shared by the event handlers and the reload scheduler.
  const s = useRef({
    items: [] as WorklistItemView[],
    total: 0,
    filters,
    params,
    key,
    generation: 0,
    inFlight: null as AbortController | null,
    pending: false,
    lastStart: 0,
    timer: undefined as ReturnType<typeof setTimeout> | undefined,
    /** Newest change seen per case, to overlay on reloads that were answered late. */
    changes: new Map<string, WorklistChange>(),
  }).current;
  s.filters = filters;
  s.params = params;
  s.key = key;

  const commit = useCallback(
    (next: WorklistItemView[], nextTotal: number) => {
      s.items = next;
      s.total = Math.max(nextTotal, next.length);
      setItems(next);
      setTotal(s.total);
    },
    [s],
  );

  const fetchNow = useCallback(() => {
    clearTimeout(s.timer);
    s.timer = undefined;
    s.pending = false;
    s.inFlight?.abort();
    const controller = new AbortController();
    s.inFlight = controller;
    s.lastStart = Date.now();
    const gen = s.generation;
    setLoading(true);
    api
      .worklist(s.params, { signal: controller.signal })
      .then((page) => {
        if (controller.signal.aborted || gen !== s.generation) return;
        const rows = page.items
          .map((row) => {
            const newer = s.changes.get(row.id);
            return newer && newer.version > row.version ? applyChange(row, newer) : row;
          })
          .filter((row) => row.state !== 'FINAL');
        commit(rows, page.total - (page.items.length - rows.length));
        setError(null);
        setLoaded(true);
        setUpdatedAt(Date.now());
      })
      .catch((err: unknown) => {
        if (controller.signal.aborted || gen !== s.generation) return;
        setError(err instanceof Error ? err : new Error(String(err)));
      })
      .finally(() => {
        if (s.inFlight !== controller) return;
        s.inFlight = null;
        setLoading(false);
        if (s.pending) schedule();
      });
  }, [s, commit]);

  /** Reload soon: never more than one request at a time, nor two within MIN_RELOAD_GAP_MS. */
  const schedule = useCallback(() => {
    if (s.inFlight) {
      s.pending = true;
      return;
    }
    if (s.timer) return;
    const wait = s.lastStart + MIN_RELOAD_GAP_MS - Date.now();
    if (wait <= 0) fetchNow();
    else s.timer = setTimeout(fetchNow, wait);
  }, [s, fetchNow]);

  // New filters: drop what is in flight and load at once.
  useEffect(() => {
    s.generation++;
    s.inFlight?.abort();
    s.inFlight = null;
    fetchNow();
    return () => {
      clearTimeout(s.timer);
      s.timer = undefined;
    };
  }, [key, s, fetchNow]);

  useEffect(
    () => () => {
      s.generation++;
      s.inFlight?.abort();
    },
    [s],
  );

  const remember = useCallback(
    (c: WorklistChange) => {
      const prev = s.changes.get(c.id);
      if (prev && prev.version >= c.version) return;
      s.changes.delete(c.id);
      s.changes.set(c.id, c);
      if (s.changes.size > KEEP_CHANGES) s.changes.delete(s.changes.keys().next().value!);
    },
    [s],
  );

  const live = useWorklistLive({
    changed(c) {
      remember(c);
      const i = s.items.findIndex((row) => row.id === c.id);
      if (i < 0) {
        if (mayBelong(c, s.filters, me)) schedule();
        return;
      }
      const row = s.items[i];
      if (c.version <= row.version) return;
      if (c.state === 'FINAL') {
        commit(
          s.items.filter((r) => r.id !== c.id),
          s.total - 1,
        );
        return;
      }
      const next = s.items.slice();
      next[i] = applyChange(row, c);
      commit(next, s.total);
      if (movesRow(row, c, s.filters)) schedule();
    },
    removed(e) {
      const row = s.items.find((r) => r.id === e.id);
      if (!row || row.version > e.version) return;
      commit(
        s.items.filter((r) => r.id !== e.id),
        s.total - 1,
      );
    },
    connected: schedule,
  });

  // Offline: fall back to a slow poll so the night does not go stale silently.
  useEffect(() => {
    if (live.state === 'live') return;
    const id = window.setInterval(() => {
      if (document.visibilityState === 'visible') schedule();
    }, OFFLINE_POLL_MS);
    return () => window.clearInterval(id);
  }, [live.state, schedule]);

  const upsert = useCallback(
    (item: WorklistItemView) => {
      const i = s.items.findIndex((row) => row.id === item.id);
      if (i < 0) {
        schedule();
        return;
      }
      if (item.version < s.items[i].version) return;
      if (item.state === 'FINAL') {
        commit(
          s.items.filter((r) => r.id !== item.id),
          s.total - 1,
        );
        return;
      }
      const next = s.items.slice();
      next[i] = item;
      commit(next, s.total);
      if (
        (s.filters.mine && s.items[i].claimedBy !== item.claimedBy) ||
        (s.filters.state && s.items[i].state !== item.state)
      ) {
        schedule();
      }
    },
    [s, commit, schedule],
  );

  return { items, total, loaded, loading, error, updatedAt, live, reload: schedule, upsert };
}
