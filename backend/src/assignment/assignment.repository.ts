import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';
import type { ClaimSource, Priority, Subspecialty } from '../generated/prisma/enums.js';
import { studyWorkUnits } from './work-units.js';

/** The case as auto-assignment sees it, read under its row lock. */
interface LockedCase {
  id: string;
  state: string;
  version: number;
  priority: Priority;
  subspecialty: Subspecialty;
  declinedByIds: string[] | null;
  workUnits: number;
  hospitalId: string;
  hospitalName: string;
  networkId: string;
  jurisdiction: string;
  autoAssign: boolean;
  autoAssignSubspecialties: Subspecialty[] | null;
  modalities: string[];
}

export type AutoAssignOutcome =
  | { kind: 'assigned'; itemId: string; readerId: string; leaseExpiresAt: Date; priority: Priority; modalities: string[]; hospitalName: string }
  /** Not open any more (claimed, read, gone) or the hospital stopped auto-assigning it: nothing to do. */
  | { kind: 'settled' }
  /** Open, but no eligible reader is on shift right now: try again later. */
  | { kind: 'no-reader' };

export interface LapsedClaim {
  id: string;
  version: number;
  hospitalId: string;
  subspecialty: Subspecialty;
  priority: Priority;
  formerReaderId: string;
  formerSource: ClaimSource | null;
  autoAssign: boolean;
  autoAssignSubspecialties: Subspecialty[] | null;
  hospitalName: string;
  modalities: string[];
}

/**
 * System-side assignment SQL (jobs, not callers): unscoped client, every write conditional
 * so a job that runs twice, or races a reader, changes a case at most once.
 */
@Injectable()
export class AssignmentRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Gives an open case to the eligible on-shift reader with the least outstanding work, in one
   * transaction. A network-wide advisory lock serialises assignments, so concurrent jobs (in any
   * process) each see the loads the previous ones produced and spread cases evenly; the case row
   * is locked, and the final UPDATE is conditional on state and version besides.
   */
  autoAssign(itemId: string, acceptMs: number, now = new Date()): Promise<AutoAssignOutcome> {
    return this.prisma.$transaction(
      async (tx) => {
        const [head] = await tx.$queryRaw<{ networkId: string }[]>`
          SELECT h."networkId" FROM "WorklistItem" w JOIN "Hospital" h ON h.id = w."hospitalId" WHERE w.id = ${itemId}::uuid`;
        if (!head) return { kind: 'settled' } as const;
        await tx.$queryRaw`SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(hashtextextended(${`auto-assign:${head.networkId}`}, 0))) AS l`;
        const [item] = await tx.$queryRaw<LockedCase[]>`
          SELECT w.id, w.state::text AS state, w.version, w.priority::text AS priority, w.subspecialty::text AS subspecialty,
                 w."declinedByIds"::text[] AS "declinedByIds", w."workUnits", w."hospitalId", h.name AS "hospitalName",
                 h."networkId", h.jurisdiction, h."autoAssign", h."autoAssignSubspecialties"::text[] AS "autoAssignSubspecialties",
                 s.modalities
          FROM "WorklistItem" w
          JOIN "Hospital" h ON h.id = w."hospitalId"
          JOIN "Study" s ON s.id = w."studyId"
          WHERE w.id = ${itemId}::uuid
          FOR UPDATE OF w`;
        if (!item || item.state !== 'UNREAD') return { kind: 'settled' } as const;
        const only = item.autoAssignSubspecialties ?? [];
        if (!item.autoAssign || (only.length > 0 && !only.includes(item.subspecialty))) return { kind: 'settled' } as const;

        // Eligible: active radiologist of the network, unexpired license for the jurisdiction and
        // privileges at the hospital, the subspecialty among theirs (general cases: anyone), on shift
        // now, not among those who declined or let it lapse. Least outstanding work units first;
        // ties go to whoever took their current work longest ago, then by id (deterministic).
        const [reader] = await tx.$queryRaw<{ id: string }[]>`
          SELECT u.id
          FROM "User" u
          JOIN "License" l ON l."userId" = u.id AND l.jurisdiction = ${item.jurisdiction} AND l."expiresAt" > ${now}::timestamp
          JOIN "Privilege" p ON p."userId" = u.id AND p."hospitalId" = ${item.hospitalId}::uuid AND p."expiresAt" > ${now}::timestamp
          LEFT JOIN LATERAL (
            SELECT COALESCE(SUM(o."workUnits"), 0) AS units, MAX(o."claimedAt") AS "lastAt"
            FROM "WorklistItem" o
            WHERE o."claimedById" = u.id AND o.state IN ('CLAIMED', 'PRELIMINARY')
          ) load ON true
          WHERE u."networkId" = ${item.networkId}::uuid
            AND u.role = 'RADIOLOGIST' AND u.active
            AND (${item.subspecialty}::"Subspecialty" = 'GENERAL' OR ${item.subspecialty}::"Subspecialty" = ANY(u.subspecialties))
            AND EXISTS (SELECT 1 FROM "Shift" s WHERE s."userId" = u.id AND s."startsAt" <= ${now}::timestamp AND s."endsAt" > ${now}::timestamp)
            AND NOT (u.id = ANY(${item.declinedByIds ?? []}::uuid[]))
          ORDER BY load.units ASC, load."lastAt" ASC NULLS FIRST, u.id ASC
          LIMIT 1`;
        if (!reader) return { kind: 'no-reader' } as const;

        const leaseExpiresAt = new Date(now.getTime() + acceptMs);
        // Intake leaves the default of 1: weigh the case by its modalities the first time it is assigned.
        const units = item.workUnits === 1 ? studyWorkUnits(item.modalities) : item.workUnits;
        const updated = await tx.$executeRaw`
          UPDATE "WorklistItem"
          SET state = 'CLAIMED', "claimedById" = ${reader.id}::uuid, "claimedAt" = ${now}::timestamp,
              "leaseExpiresAt" = ${leaseExpiresAt}::timestamp, "claimSource" = 'AUTO', "workUnits" = ${units},
              version = version + 1, "updatedAt" = ${now}::timestamp
          WHERE id = ${itemId}::uuid AND state = 'UNREAD' AND version = ${item.version}`;
        if (updated !== 1) return { kind: 'settled' } as const;
        return {
          kind: 'assigned',
          itemId,
          readerId: reader.id,
          leaseExpiresAt,
          priority: item.priority,
          modalities: item.modalities,
          hospitalName: item.hospitalName,
        } as const;
      },
      { maxWait: 10_000, timeout: 15_000 },
    );
  }

  /**
   * Returns a claimed case to the list if the lease `leaseExpiresAt` is still its current one and
   * has lapsed: one conditional statement, so a renewal (heartbeat), a release or a retry of this
   * job makes it do nothing. `offer`: the lease was an auto-assignment nobody took up; its reader
   * joins declinedByIds so the case is offered to someone else.
   */
  async lapse(itemId: string, leaseExpiresAt: Date, offer: boolean, now = new Date()): Promise<LapsedClaim | null> {
    const rows = await this.prisma.$queryRaw<LapsedClaim[]>`
      WITH old AS (
        SELECT id, "claimedById", "claimSource"
        FROM "WorklistItem"
        WHERE id = ${itemId}::uuid AND state = 'CLAIMED'
          AND "leaseExpiresAt" = ${leaseExpiresAt}::timestamp AND "leaseExpiresAt" <= ${now}::timestamp
        FOR UPDATE
      )
      UPDATE "WorklistItem" w
      SET state = 'UNREAD', "claimedById" = NULL, "claimedAt" = NULL, "leaseExpiresAt" = NULL, "claimSource" = NULL,
          "declinedByIds" = CASE
            WHEN ${offer}::boolean AND old."claimSource" = 'AUTO' AND NOT (old."claimedById" = ANY(COALESCE(w."declinedByIds", '{}')))
            THEN array_append(COALESCE(w."declinedByIds", '{}'), old."claimedById")
            ELSE w."declinedByIds" END,
          version = w.version + 1, "updatedAt" = ${now}::timestamp
      FROM old, "Hospital" h
      WHERE w.id = old.id AND h.id = w."hospitalId"
      RETURNING w.id, w.version, w."hospitalId", w.subspecialty::text AS subspecialty, w.priority::text AS priority,
                old."claimedById" AS "formerReaderId", old."claimSource"::text AS "formerSource", h."autoAssign",
                h."autoAssignSubspecialties"::text[] AS "autoAssignSubspecialties", h.name AS "hospitalName",
                (SELECT s.modalities FROM "Study" s WHERE s.id = w."studyId") AS modalities`;
    return rows[0] ?? null;
  }

  /**
   * One page (keyset by id) of claimed cases with their lease: the job sweep re-creates lease jobs
   * Redis lost. claimSource and claimedAt tell an unaccepted auto-assignment offer from a claim.
   */
  async claimsAfter(afterId: string | null, limit: number) {
    const rows = await this.prisma.worklistItem.findMany({
      where: { state: 'CLAIMED', leaseExpiresAt: { not: null }, ...(afterId ? { id: { gt: afterId } } : {}) },
      orderBy: { id: 'asc' },
      take: limit,
      select: { id: true, leaseExpiresAt: true, claimedAt: true, claimSource: true },
    });
    return rows.map((r) => ({ ...r, leaseExpiresAt: r.leaseExpiresAt! }));
  }

  /**
   * One page (keyset by id) of open cases at hospitals that auto-assign, with what decides whether
   * this case is auto-assigned (the rule itself is eligibility.ts's autoAssigns): the job sweep
   * re-creates auto-assign jobs Redis lost.
   */
  autoAssignCandidatesAfter(afterId: string | null, limit: number) {
    return this.prisma.worklistItem.findMany({
      where: { state: 'UNREAD', hospital: { autoAssign: true }, ...(afterId ? { id: { gt: afterId } } : {}) },
      orderBy: { id: 'asc' },
      take: limit,
      select: { id: true, version: true, subspecialty: true, hospital: { select: { autoAssign: true, autoAssignSubspecialties: true } } },
    });
  }

  /** The lease a case holds now (to tell a job that ran early from one whose lease was renewed). */
  async currentLease(itemId: string): Promise<Date | null> {
    const row = await this.prisma.worklistItem.findUnique({ where: { id: itemId }, select: { state: true, leaseExpiresAt: true } });
    return row?.state === 'CLAIMED' ? row.leaseExpiresAt : null;
  }

  /** A reader's credentials, for telling an admin why they may not take a case. */
  readerCredentials(userId: string, networkId: string) {
    return this.prisma.user.findFirst({
      where: { id: userId, networkId },
      select: {
        id: true,
        displayName: true,
        role: true,
        active: true,
        subspecialties: true,
        licenses: { select: { jurisdiction: true, expiresAt: true } },
        privileges: { select: { hospitalId: true, expiresAt: true } },
      },
    });
  }
}
