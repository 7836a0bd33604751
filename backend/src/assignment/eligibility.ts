import type { Role, Subspecialty } from '../generated/prisma/enums.js';

/** What decides whether a person may read a hospital's case. */
export interface ReaderCredentials {
  displayName: string;
  role: Role;
  active: boolean;
  subspecialties: readonly Subspecialty[];
  licenses: readonly { jurisdiction: string; expiresAt: Date }[];
  privileges: readonly { hospitalId: string; expiresAt: Date }[];
}

export interface CaseTarget {
  hospitalId: string;
  hospitalName: string;
  jurisdiction: string;
  subspecialty: Subspecialty;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/**
 * Why this person may not read this case, in words for the admin, or null when they may:
 * an active radiologist with an unexpired license for the hospital's jurisdiction, unexpired
 * privileges at the hospital, and the case's subspecialty among theirs (general cases: anyone).
 * The same rules as the tenancy scope plus the subspecialty routing; shifts are not required
 * here (an admin may hand a case to someone off shift), only for auto-assignment.
 */
export function ineligibility(reader: ReaderCredentials, target: CaseTarget, now = new Date()): string | null {
  const who = reader.displayName;
  if (reader.role !== 'RADIOLOGIST') return `${who} is not a radiologist`;
  if (!reader.active) return `${who}'s account is deactivated`;
  const license = reader.licenses.find((l) => l.jurisdiction === target.jurisdiction);
  if (!license) return `${who} holds no license for ${target.jurisdiction}`;
  if (license.expiresAt <= now) return `${who}'s ${target.jurisdiction} license expired on ${day(license.expiresAt)}`;
  const privilege = reader.privileges.find((p) => p.hospitalId === target.hospitalId);
  if (!privilege) return `${who} has no privileges at ${target.hospitalName}`;
  if (privilege.expiresAt <= now) return `${who}'s privileges at ${target.hospitalName} expired on ${day(privilege.expiresAt)}`;
  if (target.subspecialty !== 'GENERAL' && !reader.subspecialties.includes(target.subspecialty)) {
    return `This case is routed to ${target.subspecialty.toLowerCase()}, which is not among ${who}'s subspecialties`;
  }
  return null;
}

/** Subspecialties whose cases a reader may take: their own, and general work for everyone. */
export const readableSubspecialties = (own: readonly Subspecialty[]): Subspecialty[] => [...new Set<Subspecialty>([...own, 'GENERAL'])];

/** Whether a hospital auto-assigns cases routed to this subspecialty (an empty list means all). */
export const autoAssigns = (h: { autoAssign: boolean; autoAssignSubspecialties: readonly Subspecialty[] }, subspecialty: Subspecialty) =>
  h.autoAssign && (h.autoAssignSubspecialties.length === 0 || h.autoAssignSubspecialties.includes(subspecialty));
