'use client';

import { use } from 'react';
import { AppShell } from '@/components/AppShell';

function SessionPlaceholder({ id, guest }: { id: string; guest: boolean }) {
  return (
    <>
      <div className="page-head">
        <h1>Consult session</h1>
        {guest && <span className="role-chip">Guest</span>}
      </div>
      <p className="mono small" data-testid="session-id">
        {id}
      </p>
      <p className="empty">The shared viewer for this consult opens here in a coming release.</p>
    </>
  );
}

/** /sessions/<id>; a guest link opens the same page with ?token=… and no sign-in. */
export default function SessionPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { id } = use(params);
  const { token } = use(searchParams);
  const sessionId = decodeURIComponent(id);

  if (typeof token === 'string' && token) {
    return (
      <>
        <header className="topbar">
          <span className="brand">Teleread</span>
        </header>
        <main className="page">
          <SessionPlaceholder id={sessionId} guest />
        </main>
      </>
    );
  }
  return (
    <AppShell>
      <SessionPlaceholder id={sessionId} guest={false} />
    </AppShell>
  );
}
