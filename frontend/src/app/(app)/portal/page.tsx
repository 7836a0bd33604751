'use client';

import { ApiErrorView } from '@/components/ApiErrorView';
import { RequireRole } from '@/components/AppShell';
import { RefreshBar } from '@/components/RefreshBar';
import { StudiesTable } from '@/components/StudiesTable';
import { api } from '@/lib/api';
import { useAuth } from '@/lib/auth';
import { useApiResource } from '@/lib/hooks';
import { PAGE_ROLES } from '@/lib/roles';

function Portal() {
  const { user } = useAuth();
  const { data, error, loading, updatedAt, reload } = useApiResource(
    'studies',
    (signal) => api.studies(50, 0, { signal }),
    30_000,
  );
  return (
    <>
      <div className="page-head">
        <h1>{user?.hospitalName ? `${user.hospitalName} studies` : 'Hospital studies'}</h1>
        <RefreshBar loading={loading} updatedAt={updatedAt} total={data?.total} noun="studies" onRefresh={reload} />
      </div>
      <ApiErrorView error={error} onRetry={reload} />
      {data ? <StudiesTable items={data.items} /> : !error && <p className="muted">Loading studies…</p>}

      <section className="card" aria-labelledby="submit-heading">
        <h2 id="submit-heading">Submit a study</h2>
        <p className="muted">
          Uploading studies from the browser arrives in a coming release. Until then, send images from your PACS or
          modality over DICOM (C-STORE) or DICOMweb (STOW-RS) as set up for your hospital.
        </p>
      </section>
    </>
  );
}

export default function PortalPage() {
  return (
    <RequireRole roles={PAGE_ROLES.portal}>
      <Portal />
    </RequireRole>
  );
}
