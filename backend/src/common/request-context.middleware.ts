import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { requestContext } from './request-context.js';

const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Opens the request context (request id, client address) that logs, audit and tenancy read. */
export function requestContextMiddleware(req: Request, res: Response, next: NextFunction): void {
  const requestId = requestIdFrom(req.headers['x-request-id']);
  (req as Request & { id: string }).id = requestId;
  res.setHeader('x-request-id', requestId);
  requestContext.run({ requestId, sourceIp: clientAddress(req.ip) }, next);
}

/** The caller's X-Request-ID when it is a sane token (a proxy's or the client's), else a new one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && VALID_ID.test(header) ? header : randomUUID();
}

/** IPv4 clients of a dual-stack socket appear as ::ffff:a.b.c.d; audit the plain address. */
export function clientAddress(ip: string | undefined): string | null {
  if (!ip) return null;
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
