'use client';

import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiErrorView } from '@/components/ApiErrorView';
import { RequireRole } from '@/components/AppShell';
import { RefreshBar } from '@/components/RefreshBar';
import { WorklistFilterBar } from '@/components/WorklistFilters';
import { viewerHref, WorklistTable } from '@/components/WorklistTable';
import { api, ApiError, errorMessage } from '@/lib/api';
import { useAuth } from '@/lib/auth';
import { useApiResource } from '@/lib/hooks';
import { PAGE_ROLES } from '@/lib/roles';
import type { Me, Priority, WorklistItemView } from '@/lib/types';
import { useWorklist } from '@/lib/use-worklist';
import type { LiveStatus } from '@/lib/worklist-live';
import {
  COMMON_MODALITIES,
  filtersFromSearch,
  filtersToSearch,
  hasFilters,
  PAGE_SIZE,
  PRIORITIES,
  type WorklistFilters,
} from '@/lib/worklist-query';

function LiveIndicator({ live }: { live: LiveStatus }) {
  const text = live.state === 'live' ? 'Live' : live.state === 'connecting' ? 'Connecting…' : 'Offline, retrying';
  return (
    <span className={`live live-${live.state}`} data-testid="live-status" data-state={live.state} title={live.detail ?? 'Updates arrive as they happen'}>
      <span className="live-dot" aria-hidden="true" />
      {text}
    </span>
  );
}

/** Cases per priority on screen; each is also a one-click priority filter. */
function PriorityCounts({
  items,
  partial,
  active,
  onPick,
}: {
  items: WorklistItemView[];
  partial: boolean;
  active: Priority | undefined;
  onPick: (p: Priority | undefined) => void;
}) {
  const counts = new Map<Priority, number>(PRIORITIES.map((p) => [p, 0]));
  for (const i of items) counts.set(i.priority, (counts.get(i.priority) ?? 0) + 1);
  return (
    <div className="priority-counts" role="group" aria-label={partial ? 'Cases per priority on this page' : 'Cases per priority'}>
      {PRIORITIES.map((p) => (
        <button
          key={p}
          type="button"
          className={`count-chip count-${p.toLowerCase()}${active === p ? ' count-on' : ''}`}
          aria-pressed={active === p}
          data-testid={`count-${p}`}
          onClick={() => onPick(active === p ? undefined : p)}
          title={active === p ? 'Show all priorities' : `Show only ${p}`}
        >
          <span className="count-label">{p}</span>
          <span className="count-value">{active && active !== p ? '·' : counts.get(p)}</span>
        </button>
      ))}
      {partial && <span className="muted small">on this page</span>}
    </div>
  );
}

function isTyping(target: EventTarget | null) {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName));
}

function Worklist({ user }: { user: Me }) {
  const router = useRouter();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const search = searchParams.toString();
  const filters = useMemo(() => filtersFromSearch(new URLSearchParams(search)), [search]);
  const isRadiologist = user.role === 'RADIOLOGIST';

  const data = useWorklist(filters, user.id);
  const [busy, setBusy] = useState<ReadonlySet<string>>(new Set());
  const [errors, setErrors] = useState<ReadonlyMap<string, string>>(new Map());
  const [notice, setNotice] = useState<{ kind: 'info' | 'error'; text: string } | null>(null);
  const [nextBusy, setNextBusy] = useState(false);
  const firstFilter = useRef<HTMLSelectElement>(null);

  const setFilters = useCallback(
    (next: WorklistFilters) => router.replace(`${pathname}${filtersToSearch(next)}`, { scroll: false }),
    [router, pathname],
  );

  // Hospitals for the filter: admins may list them; radiologists get those seen in their cases.
  const adminHospitals = useApiResource(user.role === 'ADMIN' ? 'hospitals' : null, (signal) => api.hospitals({ signal }));
  // Admins hand open cases to radiologists.
  const users = useApiResource(user.role === 'ADMIN' ? 'users' : null, (signal) => api.users({ signal }));
  const readers = useMemo(
    () =>
      (users.data ?? [])
        .filter((u) => u.role === 'RADIOLOGIST')
        .map((u) => ({ id: u.id, name: u.displayName || u.email }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    [users.data],
  );
  const [seenHospitals, setSeenHospitals] = useState<ReadonlyMap<string, string>>(new Map());
  useEffect(() => {
    setSeenHospitals((prev) => {
      const fresh = data.items.filter((i) => prev.get(i.hospitalId) !== i.hospitalName);
      if (fresh.length === 0) return prev;
      const next = new Map(prev);
      for (const i of fresh) next.set(i.hospitalId, i.hospitalName);
      return next;
    });
  }, [data.items]);
  const hospitals = useMemo(() => {
    const list = adminHospitals.data?.map((h) => ({ id: h.id, name: h.name })) ?? [...seenHospitals].map(([id, name]) => ({ id, name }));
    return list.sort((a, b) => a.name.localeCompare(b.name));
  }, [adminHospitals.data, seenHospitals]);
  const modalities = useMemo(() => {
    const set = new Set(COMMON_MODALITIES);
    for (const i of data.items) for (const m of i.modalities) set.add(m);
    if (filters.modality) set.add(filters.modality);
    return [...set];
  }, [data.items, filters.modality]);

  const dismissError = useCallback(
    (id: string) =>
      setErrors((prev) => {
        if (!prev.has(id)) return prev;
        const next = new Map(prev);
        next.delete(id);
        return next;
      }),
    [],
  );

  const act = useCallback(
    async (item: WorklistItemView, action: (id: string) => Promise<WorklistItemView>) => {
      setBusy((prev) => new Set(prev).add(item.id));
      dismissError(item.id);
      try {
        data.upsert(await action(item.id));
      } catch (err) {
        setErrors((prev) => new Map(prev).set(item.id, errorMessage(err)));
        // Our copy was stale (someone else got there first, or the case moved): reload it.
        if (err instanceof ApiError && [403, 404, 409].includes(err.status)) data.reload();
      } finally {
        setBusy((prev) => {
          const next = new Set(prev);
          next.delete(item.id);
          return next;
        });
      }
    },
    [data, dismissError],
  );

  const open = useCallback((item: WorklistItemView) => router.push(viewerHref(item.studyInstanceUid)), [router]);

  const nextCase = useCallback(async () => {
    if (!isRadiologist || nextBusy) return;
    setNextBusy(true);
    setNotice(null);
    try {
      const item = await api.nextCase();
      if (!item) {
        setNotice({ kind: 'info', text: 'Nothing is waiting for you right now.' });
        return;
      }
      data.upsert(item);
      router.push(viewerHref(item.studyInstanceUid));
    } catch (err) {
      setNotice({ kind: 'error', text: errorMessage(err) });
    } finally {
      setNextBusy(false);
    }
  }, [isRadiologist, nextBusy, data, router]);

  // Keys that work anywhere on the page: N next case, / filters.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey || e.ctrlKey || e.metaKey || isTyping(e.target)) return;
      if (e.key === 'n' || e.key === 'N') {
        e.preventDefault();
        void nextCase();
      } else if (e.key === '/') {
        e.preventDefault();
        firstFilter.current?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [nextCase]);

  const shownIds = new Set(data.items.map((i) => i.id));
  const orphanErrors = [...errors].filter(([id]) => !shownIds.has(id));
  const pages = Math.max(1, Math.ceil(data.total / PAGE_SIZE));

  return (
    <>
      <div className="page-head worklist-head">
        <h1>Worklist</h1>
        <PriorityCounts
          items={data.items}
          partial={data.total > data.items.length}
          active={filters.priority}
          onPick={(priority) => setFilters({ ...filters, priority, page: 1 })}
        />
        <LiveIndicator live={data.live} />
        <RefreshBar loading={data.loading} updatedAt={data.updatedAt} total={data.loaded ? data.total : undefined} noun="cases" onRefresh={data.reload} />
        {isRadiologist && (
          <button
            type="button"
            className="btn btn-primary btn-next"
            data-testid="next-case"
            onClick={() => void nextCase()}
            disabled={nextBusy}
            aria-busy={nextBusy}
            aria-keyshortcuts="n"
            title="Claim the most urgent case waiting for you and open it (N)"
          >
            {nextBusy ? 'Claiming…' : 'Next case'}
          </button>
        )}
      </div>
      <WorklistFilterBar
        filters={filters}
        hospitals={hospitals}
        modalities={modalities}
        showMine={isRadiologist}
        onChange={setFilters}
        firstFieldRef={firstFilter}
      />
      {notice && (
        <div className={`alert ${notice.kind === 'error' ? 'alert-error' : 'alert-info'}`} role={notice.kind === 'error' ? 'alert' : 'status'} data-testid="worklist-notice">
          <span>{notice.text}</span>
          <button type="button" className="btn btn-small btn-ghost" onClick={() => setNotice(null)} aria-label="Dismiss">
            ✕
          </button>
        </div>
      )}
      {orphanErrors.map(([id, message]) => (
        <div key={id} className="alert alert-error" role="alert" data-testid="action-error">
          <span>{message}</span>
          <button
            type="button"
            className="btn btn-small btn-ghost"
            aria-label="Dismiss"
            onClick={() => dismissError(id)}
          >
            ✕
          </button>
        </div>
      ))}
      <ApiErrorView error={data.error} onRetry={data.reload} />
      {data.loaded ? (
        <WorklistTable
          items={data.items}
          me={user.id}
          canClaim={isRadiologist}
          canRelease={(item) => user.role === 'ADMIN' || item.claimedBy === user.id}
          busy={busy}
          errors={errors}
          emptyText={hasFilters(filters) ? 'No cases match these filters.' : 'No cases waiting for you.'}
          onOpen={open}
          onClaim={(item) => void act(item, api.claimCase)}
          onRelease={(item) => void act(item, api.releaseCase)}
          onDecline={(item) => void act(item, api.declineCase)}
          onDismissError={dismissError}
          reassign={
            user.role === 'ADMIN'
              ? { readers, onReassign: (item, userId) => void act(item, (id) => api.reassignCase(id, userId)) }
              : undefined
          }
        />
      ) : (
        !data.error && <p className="muted">Loading worklist…</p>
      )}
      {pages > 1 && (
        <nav className="pager" aria-label="Pages">
          <button type="button" className="btn btn-small" disabled={filters.page <= 1} onClick={() => setFilters({ ...filters, page: filters.page - 1 })}>
            Previous
          </button>
          <span className="muted">
            Page {filters.page} of {pages}
          </span>
          <button type="button" className="btn btn-small" disabled={filters.page >= pages} onClick={() => setFilters({ ...filters, page: filters.page + 1 })}>
            Next
          </button>
        </nav>
      )}
      <p className="keys-hint muted small">
        Keys: <kbd>↑</kbd>/<kbd>↓</kbd> move · <kbd>Enter</kbd> open · <kbd>C</kbd> claim · <kbd>R</kbd> release
        {isRadiologist && (
          <>
            {' '}
            · <kbd>N</kbd> next case
          </>
        )}{' '}
        · <kbd>/</kbd> filters
      </p>
    </>
  );
}

function WorklistForUser() {
  const { user } = useAuth();
  return user ? <Worklist user={user} /> : null;
}

export default function WorklistPage() {
  return (
    <RequireRole roles={PAGE_ROLES.worklist}>
      {/* useSearchParams needs a Suspense boundary in a client page. */}
      <Suspense fallback={<p className="muted">Loading worklist…</p>}>
        <WorklistForUser />
      </Suspense>
    </RequireRole>
  );
}
