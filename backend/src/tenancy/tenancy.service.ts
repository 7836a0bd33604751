import { Injectable } from '@nestjs/common';
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

@Injectable()
export class TenancyService {
  private readonly scoped = new Map<string, ReturnType<TenancyService['extend']>>();

  constructor(private readonly prisma: PrismaService) {}

  /** The current caller's scope, computed once per request. */
  scope(): Promise<AccessScope> {
    const ctx = requestContext.require();
    if (!ctx.principal) throw new Error('Tenancy scope requested without an authenticated caller');
    ctx.scope ??= this.computeScope(ctx.principal);
    return ctx.scope;
  }

  /** Forget the memoised scope (the caller just created or changed something it depends on). */
  invalidateScope(): void {
    const ctx = requestContext.current();
    if (ctx) ctx.scope = undefined;
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
      case 'ADMIN': {
        const hospitals = await this.prisma.hospital.findMany({
          where: { networkId: principal.networkId },
          select: { id: true },
        });
        return { hospitalIds: hospitals.map((h) => h.id) };
      }
      case 'HOSPITAL_STAFF':
        return { hospitalIds: principal.hospitalId ? [principal.hospitalId] : [] };
      case 'RADIOLOGIST': {
        const rows = await this.prisma.$queryRaw<{ hospitalId: string }[]>`
          SELECT p."hospitalId"
          FROM "Privilege" p
          JOIN "Hospital" h ON h.id = p."hospitalId"
          JOIN "License" l ON l."userId" = p."userId" AND l.jurisdiction = h.jurisdiction
          WHERE p."userId" = ${principal.userId}::uuid
            AND p."expiresAt" > ${now}
            AND l."expiresAt" > ${now}
            AND h."networkId" = ${principal.networkId}::uuid`;
        return { hospitalIds: rows.map((r) => r.hospitalId) };
      }
      case 'SPECIALIST':
        return { hospitalIds: [] };
    }
  }
}
