'use client';

import Link from 'next/link';
import { Suspense, useEffect, useState } from 'react';
import { useSearchParams } from 'next/navigation';
import { ApiErrorView } from '@/components/ApiErrorView';
import { RequireRole } from '@/components/AppShell';
import { RefreshBar } from '@/components/RefreshBar';
import { StudiesTable } from '@/components/StudiesTable';
import { api } from '@/lib/api';
import { useAuth } from '@/lib/auth';
import { useApiResource } from '@/lib/hooks';
import { PAGE_ROLES } from '@/lib/roles';
import { WORKLIST_DELAY_NOTE } from '@/lib/upload-store';

/** While a just-submitted study is not on the worklist yet, the list is reloaded this often. */
const WAITING_REFRESH_MS = 5_000;

function Portal() {
  const { user } = useAuth();
  const params = useSearchParams();
  const wanted = params.get('study');
  // Until the study the user came for (?study=) shows its worklist state, reload faster.
  const [arrived, setArrived] = useState(false);
  const { data, error, loading, updatedAt, reload } = useApiResource(
    'studies',
    (signal) => api.studies(50, 0, { signal }),
    wanted && !arrived ? WAITING_REFRESH_MS : 30_000,
  );
  const wantedRow = wanted ? data?.items.find((s) => s.studyInstanceUid === wanted) : undefined;
  const wantedState = wantedRow?.state;
  useEffect(() => setArrived(Boolean(wantedState)), [wantedState]);
  const canSubmit = PAGE_ROLES.submit.some((r) => r === user?.role);

  return (
    <>
      <div className="page-head">
        <h1>{user?.hospitalName ? `${user.hospitalName} studies` : 'Hospital studies'}</h1>
        {canSubmit && (
          <Link href="/portal/submit" className="btn btn-primary btn-cta" data-testid="submit-study-cta">
            + Submit a study
          </Link>
        )}
        <RefreshBar loading={loading} updatedAt={updatedAt} total={data?.total} noun="studies" onRefresh={reload} />
      </div>
      {wanted && data && (!wantedRow || !wantedRow.state) && (
        <p className="alert alert-info" role="status" data-testid="study-waiting">
          {wantedRow
            ? 'Your study is here and is being completed. '
            : 'Your study is not in the list yet. '}
          {WORKLIST_DELAY_NOTE} This list refreshes on its own.
        </p>
      )}
      <ApiErrorView error={error} onRetry={reload} />
      {data ? <StudiesTable items={data.items} highlightUid={wanted ?? undefined} /> : !error && <p className="muted">Loading studies…</p>}
    </>
  );
}

export default function PortalPage() {
  return (
    <RequireRole roles={PAGE_ROLES.portal}>
      <Suspense fallback={<p className="muted">Loading studies…</p>}>
        <Portal />
      </Suspense>
    </RequireRole>
  );
}
