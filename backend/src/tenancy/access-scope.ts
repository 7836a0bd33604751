/**
 * What a caller may see: the hospitals whose patient data they can reach.
 * Computed from live credentials and reused briefly (TenancyService), never past
 * `validUntil`: an expiring license or privilege takes effect at its expiry time.
 */
export interface AccessScope {
  readonly hospitalIds: readonly string[];
  /** When the first credential this scope relies on expires (none: it does not depend on any). */
  readonly validUntil?: Date;
}
