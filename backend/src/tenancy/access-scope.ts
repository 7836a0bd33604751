/**
 * What a caller may see: the hospitals whose patient data they can reach.
 * Computed per request from live credentials, so an expired license or
 * privilege takes effect on the very next request.
 */
export interface AccessScope {
  readonly hospitalIds: readonly string[];
}
