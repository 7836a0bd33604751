'use client';

import Link from 'next/link';
import { RoutingRules } from '@/components/admin/RoutingRules';
import { RequireRole } from '@/components/AppShell';
import { PAGE_ROLES } from '@/lib/roles';

export default function RoutingPage() {
  return (
    <RequireRole roles={PAGE_ROLES.admin}>
      <div className="page-head">
        <h1>Subspecialty routing</h1>
        <Link href="/admin" className="btn btn-small btn-ghost">
          ← Administration
        </Link>
      </div>
      <RoutingRules />
    </RequireRole>
  );
}
