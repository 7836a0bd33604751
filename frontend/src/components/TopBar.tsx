'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useAuth } from '@/lib/auth';
import { NAV_LINKS, PAGE_ROLES, ROLE_HOME } from '@/lib/roles';
import { useUploadSnapshot } from '@/lib/upload-store';
import { NotificationBell } from './NotificationBell';

/** Uploads keep running on other pages; this says so and leads back to them. */
function UploadIndicator({ pathname }: { pathname: string }) {
  const s = useUploadSnapshot();
  if (s.phase !== 'sending' || pathname === '/portal/submit') return null;
  const finished = s.counts.stored + s.counts.duplicate + s.counts.rejected + s.counts.error;
  const { rejected, error } = s.counts;
  if (s.done && rejected + error === 0) return null;
  const label = !s.done
    ? `Uploading ${finished}/${s.rows.length}`
    : error
      ? `Upload: ${error} not sent`
      : `Upload done: ${rejected} rejected`;
  return (
    <Link href="/portal/submit" className={`upload-chip${s.done ? ' upload-chip-bad' : ''}`} data-testid="upload-indicator">
      {label}
    </Link>
  );
}

export function TopBar() {
  const { user, signOut } = useAuth();
  const pathname = usePathname();
  if (!user) return null;
  const links = NAV_LINKS.filter((l) => l.roles.includes(user.role));

  return (
    <header className="topbar">
      <Link href={ROLE_HOME[user.role]} className="brand">
        Teleread
      </Link>
      <nav className="topnav" aria-label="Main">
        {links.map((l) => (
          <Link key={l.href} href={l.href} className={pathname.startsWith(l.href) ? 'active' : undefined}>
            {l.label}
          </Link>
        ))}
      </nav>
      <UploadIndicator pathname={pathname} />
      <div className="who">
        {(PAGE_ROLES.worklist as readonly string[]).includes(user.role) && <NotificationBell />}
        <span className="who-name">{user.displayName || user.email}</span>
        <span className="who-email" data-testid="current-user">
          {user.email}
        </span>
        <span className="role-chip" data-testid="current-role">
          {user.role}
        </span>
        {user.role === 'HOSPITAL_STAFF' && user.hospitalName && (
          <span className="who-hospital" data-testid="current-hospital">
            {user.hospitalName}
          </span>
        )}
        <button type="button" className="btn btn-small btn-ghost" onClick={() => void signOut()}>
          Sign out
        </button>
      </div>
    </header>
  );
}
