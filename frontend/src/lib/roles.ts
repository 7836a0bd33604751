import type { Role } from './types';

export const ROLE_HOME: Record<Role, string> = {
  ADMIN: '/admin',
  RADIOLOGIST: '/worklist',
  HOSPITAL_STAFF: '/portal',
  SPECIALIST: '/sessions',
};

export const ROLE_LABEL: Record<Role, string> = {
  ADMIN: 'Administrator',
  RADIOLOGIST: 'Radiologist',
  HOSPITAL_STAFF: 'Hospital staff',
  SPECIALIST: 'Specialist',
};

/** Who may open which page. The API enforces the same rules; this only hides links. */
export const PAGE_ROLES = {
  worklist: ['RADIOLOGIST', 'ADMIN'],
  portal: ['HOSPITAL_STAFF', 'ADMIN'],
  /** /portal/submit: orders and STOW-RS need a hospital account. */
  submit: ['HOSPITAL_STAFF'],
  admin: ['ADMIN'],
  sessions: ['ADMIN', 'RADIOLOGIST', 'HOSPITAL_STAFF', 'SPECIALIST'],
} as const satisfies Record<string, readonly Role[]>;

export const NAV_LINKS: { href: string; label: string; roles: readonly Role[] }[] = [
  { href: '/worklist', label: 'Worklist', roles: PAGE_ROLES.worklist },
  { href: '/portal', label: 'Portal', roles: PAGE_ROLES.portal },
  { href: '/sessions', label: 'Consults', roles: PAGE_ROLES.sessions },
  { href: '/admin', label: 'Admin', roles: PAGE_ROLES.admin },
];

/** `next` query parameter → a same-origin path, or null if it is not one. */
export function safeNextPath(next: string | null | undefined): string | null {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return null;
  try {
    const url = new URL(next, 'http://teleread.invalid');
    if (url.origin !== 'http://teleread.invalid' || url.pathname.startsWith('/login')) return null;
    return url.pathname + url.search + url.hash;
  } catch {
    return null;
  }
}
