'use client';

import { useEffect, type ReactNode } from 'react';
import { useRouter } from 'next/navigation';
import { loginUrl, UNREACHABLE_MESSAGE } from '@/lib/api';
import { useAuth } from '@/lib/auth';
import type { Role } from '@/lib/types';
import { Forbidden } from './ApiErrorView';
import { TopBar } from './TopBar';

/** Signed-in frame: sends signed-out visitors to /login?next=…, shows the top bar. */
export function AppShell({ children }: { children: ReactNode }) {
  const { status, error, signedOutByUser, reload } = useAuth();
  const router = useRouter();

  useEffect(() => {
    if (status === 'signed-out') router.replace(signedOutByUser ? '/login' : loginUrl());
  }, [status, signedOutByUser, router]);

  if (status === 'signed-in') {
    return (
      <>
        <TopBar />
        <main className="page">{children}</main>
      </>
    );
  }
  if (status === 'unreachable') {
    return (
      <main className="page page-center">
        <div className="alert alert-error" role="alert" data-testid="api-error">
          <strong>{UNREACHABLE_MESSAGE}</strong>
          {error && error !== UNREACHABLE_MESSAGE && <span className="alert-detail">{error}</span>}
          <button type="button" className="btn btn-small" onClick={reload}>
            Retry
          </button>
        </div>
      </main>
    );
  }
  return (
    <main className="page page-center">
      <p className="muted">Loading…</p>
    </main>
  );
}

/** Hides a page from roles that may not use it (the API refuses them too). */
export function RequireRole({ roles, children }: { roles: readonly Role[]; children: ReactNode }) {
  const { user } = useAuth();
  if (!user) return null;
  return roles.includes(user.role) ? <>{children}</> : <Forbidden />;
}
