import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { parse as parseQueryString } from 'node:querystring';
import { Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import proxyAddr from 'proxy-addr';
import { AuthService } from '../auth/auth.service.js';
import type { UserPrincipal } from '../common/principal.js';
import { clientAddress, requestIdFrom } from '../common/request-context.middleware.js';
import { requestContext } from '../common/request-context.js';
import { MetricsService } from '../health/metrics.service.js';
import { sendWorklistPage } from './worklist-cache.js';
import { listArguments, WorklistQuery } from './worklist-query.js';
import { WorklistService } from './worklist.service.js';

/** The route label WorklistController.list gets from HttpMetricsInterceptor. */
const ROUTE = '/api/worklist';

type TrustProxy = (address: string, hop: number) => boolean;

/**
 * GET /api/worklist, answered before Express and Nest see the request. The worklist is the most
 * requested page (every reader's screen refreshes it), mostly answered from WorklistCache, and the
 * framework's per-request work (router, middleware chain, request logger, guard, interceptors,
 * pipes) cost several times the answer itself. Only the plain success case is taken here, after
 * the same checks as the regular route: a valid bearer token of an active radiologist or admin and
 * a query WorklistQuery accepts. Everything else (another route or method, no or another kind of
 * credential, another role, a bad query, an error while answering) goes to the framework
 * untouched, so every refusal and error is the regular route's own. What the framework would add
 * is added here: request id, client address (TRUST_PROXY), request context for audit and
 * tenancy, the request-duration metric, and the access-log line.
 */
@Injectable()
export class WorklistReadFastPath {
  private trustProxy: TrustProxy = () => false;

  constructor(
    private readonly auth: AuthService,
    private readonly worklist: WorklistService,
    private readonly metrics: MetricsService,
  ) {}

  /** Puts this route in front of `server`'s request listeners (the framework's). */
  mount(server: Server, trustProxy: TrustProxy): void {
    this.trustProxy = trustProxy;
    const framework = server.listeners('request') as RequestListener[];
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) =>
      this.handle(req, res, () => {
        for (const listener of framework) listener.call(server, req, res);
      }),
    );
  }

  /** Answers `req` if it is a plain worklist read, else hands it to `framework`. */
  handle(req: IncomingMessage, res: ServerResponse, framework: () => void): void {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    if (req.method !== 'GET' || (q < 0 ? url : url.slice(0, q)) !== ROUTE) return framework();
    const [scheme, token] = req.headers.authorization?.split(/\s+/, 2) ?? [];
    if (scheme?.toLowerCase() !== 'bearer' || !token) return framework();
    // Parsed as Express parses a query string (its default "simple" parser is node:querystring).
    const query = WorklistQuery.safeParse(q < 0 ? {} : { ...parseQueryString(url.slice(q + 1)) });
    if (!query.success) return framework();
    this.answer(req, res, token, query.data).then(
      (answered) => answered || framework(),
      // Nothing was sent: the regular route answers (or reports) the error itself.
      () => framework(),
    );
  }

  private async answer(req: IncomingMessage, res: ServerResponse, token: string, query: WorklistQuery): Promise<boolean> {
    const started = performance.now();
    let user: UserPrincipal;
    try {
      user = await this.auth.principalFromAccessToken(token);
    } catch {
      return false;
    }
    if (user.role !== 'RADIOLOGIST' && user.role !== 'ADMIN') return false;

    const requestId = requestIdFrom(req.headers['x-request-id']);
    const sourceIp = clientAddress(proxyAddr(req, this.trustProxy));
    const page = await requestContext.run({ requestId, sourceIp, principal: user }, () => this.worklist.list(user, ...listArguments(query)));
    res.setHeader('x-request-id', requestId);
    sendWorklistPage(req, res, page);
    const seconds = (performance.now() - started) / 1000;
    this.metrics.httpDuration.observe({ method: 'GET', route: ROUTE, status: String(res.statusCode) }, seconds);
    const log = PinoLogger.root;
    // As pino-http logs every other request (headers left out: this line is written ~1,000 times a second on a busy night).
    if (log?.isLevelEnabled('info')) {
      log.info({ req: { id: requestId, method: 'GET', url: req.url, remoteAddress: sourceIp }, res: { statusCode: res.statusCode }, responseTime: Math.round(seconds * 1000) }, 'request completed');
    }
    return true;
  }
}
