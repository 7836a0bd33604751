import { Inject, Injectable } from '@nestjs/common';
import { InvalidationBus } from '../cache/invalidation-bus.js';
import { TaggedCache } from '../cache/tagged-cache.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { PrismaService } from '../database/prisma.service.js';
import { requestContext } from '../common/request-context.js';
import type { Principal } from '../common/principal.js';
import type { AccessScope } from './access-scope.js';
import { scopeExtension } from './scope-extension.js';

/**
 * The one place that decides which hospitals a caller may see, and the one
 * database handle for patient data: repositories read and write tenant-owned
 * models through db(), which applies the current caller's scope to every query.
 */
/** Scoped clients kept (LRU, by scope): building one with $extends on every request costs more than the query. */
const SCOPED_CLIENTS = 256;
/** Computed scopes kept per process (one per signed-in person who asked recently). */
const SCOPES = 20_000;

@Injectable()
export class TenancyService {
  private readonly scoped = new Map<string, ReturnType<TenancyService['extend']>>();
  private readonly scopeTtlMs: number;
  /**
   * Scopes that needed a query, reused for at most ACCESS_CACHE_SECONDS and never past the
   * expiry of a credential they rely on; dropped at once in every process when credentials or
   * a network's hospitals change through the platform (InvalidationBus 'credentials').
   */
  private readonly scopes: TaggedCache<string, AccessScope>;

  constructor(
    private readonly prisma: PrismaService,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly bus: InvalidationBus,
  ) {
    this.scopeTtlMs = config.ACCESS_CACHE_SECONDS * 1000;
    this.scopes = new TaggedCache({ maxWeight: SCOPES, enabled: () => this.scopeTtlMs > 0 && bus.live });
    bus.on('credentials', ({ userIds }) => (userIds ? this.scopes.invalidate(userIds) : this.scopes.clear()));
    bus.onReset(() => this.scopes.clear());
  }

  /** The current caller's scope, computed once per request. */
  scope(): Promise<AccessScope> {
    const ctx = requestContext.require();
    if (!ctx.principal) throw new Error('Tenancy scope requested without an authenticated caller');
    ctx.scope ??= this.cachedScope(ctx.principal);
    return ctx.scope;
  }

  /** Forget the memoised scope (the caller just created or changed something it depends on), here and in every process. */
  invalidateScope(): void {
    const ctx = requestContext.current();
    if (ctx) ctx.scope = undefined;
    void this.bus.publish('credentials', { userIds: null });
  }

  private cachedScope(principal: Principal): Promise<AccessScope> {
    // Scopes without a query (API keys, staff, specialists) are as cheap to compute as to look up.
    if (principal.kind === 'API_KEY' || (principal.role !== 'ADMIN' && principal.role !== 'RADIOLOGIST')) return this.computeScope(principal);
    const key = `${principal.userId}:${principal.role}:${principal.networkId}`;
    return this.scopes.get(key, [principal.userId], async () => {
      const scope = await this.computeScope(principal);
      const until = Math.min(Date.now() + this.scopeTtlMs, scope.validUntil?.getTime() ?? Infinity);
      return { value: scope, ttlMs: until - Date.now() };
    });
  }

  /** A database client limited to the current caller's hospitals. */
  async db() {
    const scope = await this.scope();
    const key = [...scope.hospitalIds].sort().join(',');
    let client = this.scoped.get(key);
    if (client) {
      this.scoped.delete(key); // most recently used goes last
    } else {
      client = this.extend(scope.hospitalIds);
      if (this.scoped.size >= SCOPED_CLIENTS) this.scoped.delete(this.scoped.keys().next().value!);
    }
    this.scoped.set(key, client);
    return client;
  }

  private extend(hospitalIds: readonly string[]) {
    return this.prisma.$extends(scopeExtension(hospitalIds));
  }

  async canSeeHospital(hospitalId: string): Promise<boolean> {
    return (await this.scope()).hospitalIds.includes(hospitalId);
  }

  /**
   * ADMIN: every hospital of their network. HOSPITAL_STAFF and API keys: their hospital.
   * RADIOLOGIST: hospitals where they hold unexpired privileges AND an unexpired license
   * for the hospital's jurisdiction. SPECIALIST: none (they reach studies through consults).
   */
  async computeScope(principal: Principal, now = new Date()): Promise<AccessScope> {
    if (principal.kind === 'API_KEY') return { hospitalIds: [principal.hospitalId] };
    switch (principal.role) {
      // Plain SQL on the pool: computed for every signed-in person every few seconds.
      case 'ADMIN': {
        const { rows } = await this.prisma.pool.query<{ id: string }>(`SELECT id FROM "Hospital" WHERE "networkId" = $1::uuid`, [principal.networkId]);
        return { hospitalIds: rows.map((h) => h.id) };
      }
      case 'HOSPITAL_STAFF':
        return { hospitalIds: principal.hospitalId ? [principal.hospitalId] : [] };
      case 'RADIOLOGIST': {
        // Timestamps are stored as UTC without a zone (as Prisma writes them): compare and return them as such.
        const { rows } = await this.prisma.pool.query<{ hospitalId: string; expiresAtMs: number }>(
          `SELECT p."hospitalId", extract(epoch FROM LEAST(p."expiresAt", l."expiresAt") AT TIME ZONE 'UTC') * 1000 AS "expiresAtMs"
           FROM "Privilege" p
           JOIN "Hospital" h ON h.id = p."hospitalId"
           JOIN "License" l ON l."userId" = p."userId" AND l.jurisdiction = h.jurisdiction
           WHERE p."userId" = $1::uuid
             AND p."expiresAt" > ($2::timestamptz AT TIME ZONE 'UTC')
             AND l."expiresAt" > ($2::timestamptz AT TIME ZONE 'UTC')
             AND h."networkId" = $3::uuid`,
          [principal.userId, now.toISOString(), principal.networkId],
        );
        const expiries = rows.map((r) => Number(r.expiresAtMs));
        return { hospitalIds: rows.map((r) => r.hospitalId), validUntil: expiries.length ? new Date(Math.min(...expiries)) : undefined };
      }
      case 'SPECIALIST':
        return { hospitalIds: [] };
    }
  }
}
