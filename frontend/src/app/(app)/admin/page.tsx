'use client';

import Link from 'next/link';
import { Suspense } from 'react';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { AuditPanel } from '@/components/admin/AuditPanel';
import { HospitalsPanel } from '@/components/admin/HospitalsPanel';
import { UsersPanel } from '@/components/admin/UsersPanel';
import { RequireRole } from '@/components/AppShell';
import { api } from '@/lib/api';
import { useApiResource } from '@/lib/hooks';
import { PAGE_ROLES } from '@/lib/roles';

const TABS = [
  { id: 'hospitals', label: 'Hospitals' },
  { id: 'users', label: 'Users' },
  { id: 'audit', label: 'Audit' },
] as const;
type TabId = (typeof TABS)[number]['id'];

function Admin() {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const requested = params.get('tab');
  const tab: TabId = TABS.some((t) => t.id === requested) ? (requested as TabId) : 'hospitals';

  // Hospitals are needed by both the Hospitals and the Users tab (names, create form).
  const hospitals = useApiResource(tab === 'audit' ? null : 'hospitals', (signal) => api.hospitals({ signal }));
  const users = useApiResource(tab === 'users' ? 'users' : null, (signal) => api.users({ signal }));

  return (
    <>
      <div className="page-head">
        <h1>Administration</h1>
        <Link href="/admin/routing" className="btn btn-small" data-testid="routing-link">
          Subspecialty routing
        </Link>
      </div>
      <div className="tabs" role="tablist" aria-label="Administration">
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`panel-${t.id}`}
            className={tab === t.id ? 'tab active' : 'tab'}
            data-testid={`tab-${t.id}`}
            onClick={() => router.replace(`${pathname}?tab=${t.id}`, { scroll: false })}
          >
            {t.label}
          </button>
        ))}
      </div>
      <section role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'hospitals' && <HospitalsPanel hospitals={hospitals} />}
        {tab === 'users' && <UsersPanel users={users} hospitals={hospitals} />}
        {tab === 'audit' && <AuditPanel />}
      </section>
    </>
  );
}

export default function AdminPage() {
  return (
    <RequireRole roles={PAGE_ROLES.admin}>
      <Suspense fallback={<p className="muted">Loading…</p>}>
        <Admin />
      </Suspense>
    </RequireRole>
  );
}
