import type { Role } from '../generated/prisma/enums.js';

/** Who is calling: a signed-in person, or a hospital's machine holding an API key. */
export type Principal = UserPrincipal | ApiKeyPrincipal;

export interface UserPrincipal {
  kind: 'USER';
  userId: string;
  role: Role;
  email: string;
  displayName: string;
  networkId: string;
  /** The staff member's hospital (HOSPITAL_STAFF only). */
  hospitalId: string | null;
}

export interface ApiKeyPrincipal {
  kind: 'API_KEY';
  apiKeyId: string;
  hospitalId: string;
  name: string;
}

export function principalId(p: Principal): string {
  return p.kind === 'USER' ? p.userId : p.apiKeyId;
}
