import { AsyncLocalStorage } from 'node:async_hooks';
import type { Principal } from './principal.js';

/** Per-request (or per-socket-event, per-job) facts that audit and tenancy need. */
export interface RequestContext {
  requestId: string;
  sourceIp: string | null;
  principal?: Principal;
  /** Memoised access scope (see tenancy/), computed at most once per request. */
  scope?: Promise<import('../tenancy/access-scope.js').AccessScope>;
}

const storage = new AsyncLocalStorage<RequestContext>();

export const requestContext = {
  run<T>(ctx: RequestContext, fn: () => T): T {
    return storage.run(ctx, fn);
  },
  current(): RequestContext | undefined {
    return storage.getStore();
  },
  /** The current context; throws when code that needs a caller runs outside one. */
  require(): RequestContext {
    const ctx = storage.getStore();
    if (!ctx) throw new Error('No request context: this code must run inside a request, socket event or job');
    return ctx;
  },
};
