'use client';

import { useEffect } from 'react';
import { useRouter } from 'next/navigation';
import { AppShell } from '@/components/AppShell';
import { useAuth } from '@/lib/auth';
import { ROLE_HOME } from '@/lib/roles';

/** "/" → the signed-in user's home page (AppShell sends others to /login). */
export default function Home() {
  const { status, user } = useAuth();
  const router = useRouter();
  useEffect(() => {
    if (status === 'signed-in' && user) router.replace(ROLE_HOME[user.role]);
  }, [status, user, router]);
  return (
    <AppShell>
      <p className="muted">Opening your home page…</p>
    </AppShell>
  );
}
