import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { AuthService } from '../auth/auth.service.js';
import type { UserPrincipal } from '../common/principal.js';
import { requestContext } from '../common/request-context.js';
import { MetricsService } from '../health/metrics.service.js';
import { sendWorklistPage } from './worklist-cache.js';
import { listArguments, WorklistQuery } from './worklist-query.js';
import { WorklistService } from './worklist.service.js';

/** The route label WorklistController.list gets from HttpMetricsInterceptor. */
const ROUTE = '/api/worklist';

/**
 * GET /api/worklist without Nest's per-request pipeline (guard, interceptors, pipes, rxjs):
 * the worklist is the most requested page, mostly answered from WorklistCache, and that
 * pipeline cost more CPU than the answer. Only the plain success case is taken here, after the
 * same checks as the regular route (a valid bearer token of an active radiologist or admin, a
 * query WorklistQuery accepts); anything else (no or another kind of credential, another role,
 * a bad query, an error while authenticating) goes on to WorklistController untouched, so every
 * refusal and error is the regular route's own. Request logging and the request context run
 * before this (app-wide middleware); the request-duration metric is recorded as the interceptor would.
 */
@Injectable()
export class WorklistReadMiddleware implements NestMiddleware {
  constructor(
    private readonly auth: AuthService,
    private readonly worklist: WorklistService,
    private readonly metrics: MetricsService,
  ) {}

  async use(req: Request, res: Response, next: NextFunction): Promise<void> {
    const [scheme, token] = req.headers.authorization?.split(/\s+/, 2) ?? [];
    if (req.method !== 'GET' || req.originalUrl.split('?', 1)[0] !== ROUTE || scheme?.toLowerCase() !== 'bearer' || !token) return next();
    const query = WorklistQuery.safeParse(req.query);
    if (!query.success) return next();
    let user: UserPrincipal;
    try {
      user = await this.auth.principalFromAccessToken(token);
    } catch {
      return next();
    }
    if (user.role !== 'RADIOLOGIST' && user.role !== 'ADMIN') return next();

    requestContext.require().principal = user;
    const stop = this.metrics.httpDuration.startTimer({ method: 'GET', route: ROUTE });
    res.once('finish', () => stop({ status: String(res.statusCode) }));
    // An error from here on is answered by Nest's exception filter, as on the regular route.
    sendWorklistPage(req, res, await this.worklist.list(user, ...listArguments(query.data)));
  }
}
