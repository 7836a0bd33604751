'use client';

import { RequireRole } from '@/components/AppShell';
import { SubmitStudy } from '@/components/submit/SubmitStudy';
import { PAGE_ROLES } from '@/lib/roles';

export default function SubmitPage() {
  return (
    <RequireRole roles={PAGE_ROLES.submit}>
      <SubmitStudy />
    </RequireRole>
  );
}
