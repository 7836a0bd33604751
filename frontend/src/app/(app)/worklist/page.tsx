'use client';

import { ApiErrorView } from '@/components/ApiErrorView';
import { RequireRole } from '@/components/AppShell';
import { RefreshBar } from '@/components/RefreshBar';
import { WorklistTable } from '@/components/WorklistTable';
import { api } from '@/lib/api';
import { useApiResource } from '@/lib/hooks';
import { PAGE_ROLES } from '@/lib/roles';

const REFRESH_MS = 15_000;

function Worklist() {
  const { data, error, loading, updatedAt, reload } = useApiResource(
    'worklist',
    (signal) => api.worklist(50, 0, { signal }),
    REFRESH_MS,
  );
  return (
    <>
      <div className="page-head">
        <h1>Worklist</h1>
        <RefreshBar loading={loading} updatedAt={updatedAt} total={data?.total} noun="cases" onRefresh={reload} />
      </div>
      <ApiErrorView error={error} onRetry={reload} />
      {data ? <WorklistTable items={data.items} /> : !error && <p className="muted">Loading worklist…</p>}
    </>
  );
}

export default function WorklistPage() {
  return (
    <RequireRole roles={PAGE_ROLES.worklist}>
      <Worklist />
    </RequireRole>
  );
}
