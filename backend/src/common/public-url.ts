import type { Request } from 'express';

/**
 * The base URL clients reach us at, for URLs we hand out (RetrieveURL, BulkDataURI):
 * PUBLIC_URL if configured, else the request's proto and host (express honours
 * X-Forwarded-Proto/-Host from trusted proxies, see TRUST_PROXY), never the bind address.
 */
export function publicBaseUrl(req: Request, publicUrl?: string): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  return `${req.protocol}://${req.host ?? 'localhost'}`;
}
