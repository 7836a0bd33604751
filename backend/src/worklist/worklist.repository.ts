import { Injectable } from '@nestjs/common';
import type { Prisma } from '../generated/prisma/client.js';
import type { Priority, Subspecialty, WorklistState } from '../generated/prisma/enums.js';
import { PrismaService } from '../database/prisma.service.js';
import { TenancyService } from '../tenancy/tenancy.service.js';

const ITEM = {
  id: true,
  hospitalId: true,
  priority: true,
  subspecialty: true,
  routingReason: true,
  state: true,
  receivedAt: true,
  dueAt: true,
  claimedById: true,
  claimedBy: { select: { displayName: true } },
  claimSource: true,
  leaseExpiresAt: true,
  breachedAt: true,
  declinedByIds: true,
  version: true,
  hospital: { select: { name: true, jurisdiction: true, requireNextCase: true, autoAssign: true, autoAssignSubspecialties: true } },
  study: {
    select: {
      studyInstanceUid: true,
      accessionNumber: true,
      modalities: true,
      description: true,
      bodyPart: true,
      patient: { select: { id: true, name: true, mrn: true } },
    },
  },
  order: { select: { indication: true } },
  report: { select: { status: true } },
} satisfies Prisma.WorklistItemSelect;

export type WorklistRow = Prisma.WorklistItemGetPayload<{ select: typeof ITEM }>;

export const OPEN_STATES: readonly WorklistState[] = ['UNREAD', 'CLAIMED', 'PRELIMINARY'];

export type WorklistSort = 'urgency' | 'received' | 'due';

export interface WorklistFilter {
  hospitalId?: string;
  modality?: string;
  priority?: readonly Priority[];
  subspecialty?: readonly Subspecialty[];
  /** Default: the open states. */
  state?: readonly WorklistState[];
  claimedById?: string;
  sort: WorklistSort;
}

/** ORDER BY of each sort (over "WorklistItem" aliased `w`); every one ends on the id, so pages are stable. */
const ORDER: Record<WorklistSort, string> = {
  // Most urgent first: priority class, then the nearest deadline (the worklist's own order).
  urgency: 'w.priority, w."dueAt", w.id',
  // First in, first out: the case waiting longest first.
  received: 'w."receivedAt", w.id',
  due: 'w."dueAt", w.priority, w.id',
};

/** A timestamp column as Date.toISOString() writes it (the columns hold UTC, millisecond precision). */
const iso = (column: string) => `to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** One page as sent (WorklistItemView[] and total, serialized by PostgreSQL), and the patients on it. */
export interface ListedPage {
  json: string;
  patientIds: string[];
  /** The cases on the page. */
  itemIds: string[];
  count: number;
}

/** What a successful claim-like write leaves behind, for the lease job and live updates. */
export interface Claimed {
  id: string;
  leaseExpiresAt: Date;
}

@Injectable()
export class WorklistRepository {
  constructor(
    private readonly tenancy: TenancyService,
    private readonly prisma: PrismaService,
  ) {}

  /**
   * One page of the cases in `scope` (the caller's hospitals), filtered, with the total, in one
   * round trip that also writes the JSON (the same fields as presentWorklistItem): filling a cached
   * page costs the database a few milliseconds and this process almost nothing. The one-row
   * lookups are subqueries rather than joins: a few index probes, and much less to plan. `readable`: the
   * subspecialties a radiologist may read (null: an admin, every subspecialty). Raw SQL bypasses the
   * scoped client, so the scope is in the WHERE clause. The filters are equality/ANY on the columns
   * of the (state, hospitalId, subspecialty, priority, dueAt) index; bench/worklist.mjs EXPLAINs
   * the first page of this query: keep the two in step.
   */
  async list(scope: readonly string[], readable: readonly Subspecialty[] | null, f: WorklistFilter, limit: number, offset: number): Promise<ListedPage> {
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    const where = [`w.state = ANY(${param(f.state ?? OPEN_STATES)}::"WorklistState"[])`, `w."hospitalId" = ANY(${param(scope)}::uuid[])`];
    if (f.hospitalId) where.push(`w."hospitalId" = ${param(f.hospitalId)}::uuid`);
    if (readable) where.push(`w.subspecialty = ANY(${param(readable)}::"Subspecialty"[])`);
    if (f.subspecialty) where.push(`w.subspecialty = ANY(${param(f.subspecialty)}::"Subspecialty"[])`);
    if (f.priority) where.push(`w.priority = ANY(${param(f.priority)}::"Priority"[])`);
    if (f.claimedById) where.push(`w."claimedById" = ${param(f.claimedById)}::uuid`);
    if (f.modality) where.push(`EXISTS (SELECT 1 FROM "Study" m WHERE m.id = w."studyId" AND ${param(f.modality)} = ANY(m.modalities))`);
    const order = ORDER[f.sort];
    const { rows } = await this.prisma.pool.query<ListedPage>(
      `WITH w AS (
         SELECT w.id, w."hospitalId", w."studyId", w."orderId", w.priority, w.subspecialty, w."routingReason", w.state,
                w."receivedAt", w."dueAt", w."claimedById", w."claimSource", w."leaseExpiresAt", w."breachedAt", w.version
         FROM "WorklistItem" w
         WHERE ${where.join(' AND ')}
         ORDER BY ${order}
         LIMIT ${param(limit)} OFFSET ${param(offset)})
       SELECT json_build_object(
                'items', COALESCE(json_agg(json_build_object(
                  'id', w.id,
                  'studyInstanceUid', s."studyInstanceUid",
                  'accessionNumber', s."accessionNumber",
                  'hospitalId', w."hospitalId",
                  'hospitalName', (SELECT h.name FROM "Hospital" h WHERE h.id = w."hospitalId"),
                  'patientName', pt.name,
                  'patientMrn', pt.mrn,
                  'modality', s.modalities[1],
                  'modalities', s.modalities,
                  'description', s.description,
                  'bodyPart', s."bodyPart",
                  'indication', (SELECT o.indication FROM "Order" o WHERE o.id = w."orderId"),
                  'priority', w.priority,
                  'subspecialty', w.subspecialty,
                  'routingReason', w."routingReason",
                  'receivedAt', ${iso('w."receivedAt"')},
                  'dueAt', ${iso('w."dueAt"')},
                  'state', w.state,
                  'claimedBy', w."claimedById",
                  'claimedByName', (SELECT u."displayName" FROM "User" u WHERE u.id = w."claimedById"),
                  'claimSource', w."claimSource",
                  'leaseExpiresAt', ${iso('w."leaseExpiresAt"')},
                  'breachedAt', ${iso('w."breachedAt"')},
                  'reportStatus', (SELECT r.status FROM "Report" r WHERE r."worklistItemId" = w.id),
                  'version', w.version
                ) ORDER BY ${order}), '[]'),
                'total', (SELECT count(*) FROM "WorklistItem" w WHERE ${where.join(' AND ')})
              )::text AS json,
              COALESCE(array_agg(s."patientId"::text ORDER BY ${order}), '{}') AS "patientIds",
              COALESCE(array_agg(w.id::text), '{}') AS "itemIds",
              count(w.id)::int AS count
       FROM w
       JOIN "Study" s ON s.id = w."studyId"
       JOIN "Patient" pt ON pt.id = s."patientId"`,
      params,
    );
    return rows[0];
  }

  async find(id: string) {
    const db = await this.tenancy.db();
    return db.worklistItem.findUnique({ where: { id }, select: ITEM });
  }

  /**
   * Takes the case for one reader with a single conditional UPDATE: of any number of
   * concurrent callers exactly one matches the row (open, or a lapsed lease). Scoped.
   * The claimant claiming again (a double click, or accepting an auto-assignment) renews the lease
   * and keeps how they got the case.
   */
  async claim(id: string, userId: string, readable: readonly Subspecialty[], leaseMs: number): Promise<Claimed | null> {
    const db = await this.tenancy.db();
    const now = new Date();
    const leaseExpiresAt = new Date(now.getTime() + leaseMs);
    const { count } = await db.worklistItem.updateMany({
      where: {
        id,
        subspecialty: { in: [...readable] },
        OR: [{ state: 'UNREAD' }, { state: 'CLAIMED', leaseExpiresAt: { lt: now } }],
      },
      data: { state: 'CLAIMED', claimedById: userId, claimedAt: now, leaseExpiresAt, claimSource: 'CLAIM', version: { increment: 1 } },
    });
    if (count === 1) return { id, leaseExpiresAt };
    return this.renew(id, userId, leaseMs);
  }

  /** Extends the caller's own claim (the viewer's heartbeat); null when they no longer hold it. */
  async renew(id: string, userId: string, leaseMs: number): Promise<Claimed | null> {
    const db = await this.tenancy.db();
    const leaseExpiresAt = new Date(Date.now() + leaseMs);
    const { count } = await db.worklistItem.updateMany({
      where: { id, state: 'CLAIMED', claimedById: userId },
      data: { leaseExpiresAt, version: { increment: 1 } },
    });
    return count === 1 ? { id, leaseExpiresAt } : null;
  }

  /**
   * "Next case": claims the most urgent open case the caller may read (priority class, then due
   * time) in one statement. SKIP LOCKED makes concurrent callers pass over a row another is
   * taking, so no two ever get the same case and none waits. Scope and subspecialties are in the
   * WHERE (raw SQL bypasses the scoped client's filter); cases the caller declined are skipped.
   */
  async next(userId: string, readable: readonly Subspecialty[], leaseMs: number): Promise<Claimed | null> {
    const { hospitalIds } = await this.tenancy.scope();
    if (hospitalIds.length === 0 || readable.length === 0) return null;
    const db = await this.tenancy.db();
    const now = new Date();
    const leaseExpiresAt = new Date(now.getTime() + leaseMs);
    const rows = await db.$queryRaw<{ id: string }[]>`
      UPDATE "WorklistItem" w
      SET state = 'CLAIMED', "claimedById" = ${userId}::uuid, "claimedAt" = ${now}::timestamp,
          "leaseExpiresAt" = ${leaseExpiresAt}::timestamp, "claimSource" = 'NEXT',
          version = w.version + 1, "updatedAt" = ${now}::timestamp
      WHERE w.id = (
        SELECT c.id FROM "WorklistItem" c
        WHERE c.state = 'UNREAD'
          AND c."hospitalId" = ANY(${[...hospitalIds]}::uuid[])
          AND c.subspecialty = ANY(${[...readable]}::"Subspecialty"[])
          AND NOT (${userId}::uuid = ANY(COALESCE(c."declinedByIds", '{}')))
        ORDER BY c.priority, c."dueAt", c.id
        LIMIT 1
        FOR UPDATE SKIP LOCKED
      )
      AND w.state = 'UNREAD'
      RETURNING w.id`;
    return rows[0] ? { id: rows[0].id, leaseExpiresAt } : null;
  }

  /**
   * Whether an open case the caller could take ranks ahead of this one (a more urgent priority
   * class, or the same class due earlier): what "Next case" would hand out before it.
   */
  async moreUrgentWaiting(item: { id: string; priority: Priority; dueAt: Date }, userId: string, readable: readonly Subspecialty[]): Promise<boolean> {
    const { hospitalIds } = await this.tenancy.scope();
    const db = await this.tenancy.db();
    const [row] = await db.$queryRaw<{ waiting: boolean }[]>`
      SELECT EXISTS (
        SELECT 1 FROM "WorklistItem" c
        WHERE c.state = 'UNREAD' AND c.id <> ${item.id}::uuid
          AND c."hospitalId" = ANY(${[...hospitalIds]}::uuid[])
          AND c.subspecialty = ANY(${[...readable]}::"Subspecialty"[])
          AND NOT (${userId}::uuid = ANY(COALESCE(c."declinedByIds", '{}')))
          AND (c.priority < ${item.priority}::"Priority"
               OR (c.priority = ${item.priority}::"Priority" AND c."dueAt" < ${item.dueAt}::timestamp))
      ) AS waiting`;
    return row?.waiting ?? false;
  }

  /** Returns a claimed case to the list; only its claimant (or, with `anyClaimant`, an admin) may. */
  async release(id: string, userId: string, anyClaimant: boolean): Promise<boolean> {
    const db = await this.tenancy.db();
    const { count } = await db.worklistItem.updateMany({
      where: { id, state: 'CLAIMED', ...(anyClaimant ? {} : { claimedById: userId }) },
      data: { state: 'UNREAD', claimedById: null, claimedAt: null, leaseExpiresAt: null, claimSource: null, version: { increment: 1 } },
    });
    return count === 1;
  }

  /**
   * The claimant gives the case back and is not offered it again (auto-assignment and Next case
   * skip them). One conditional UPDATE; the decliner is recorded once however often they decline.
   */
  async decline(id: string, userId: string): Promise<boolean> {
    const { hospitalIds } = await this.tenancy.scope();
    const db = await this.tenancy.db();
    const rows = await db.$queryRaw<{ id: string }[]>`
      UPDATE "WorklistItem"
      SET state = 'UNREAD', "claimedById" = NULL, "claimedAt" = NULL, "leaseExpiresAt" = NULL, "claimSource" = NULL,
          "declinedByIds" = CASE WHEN ${userId}::uuid = ANY(COALESCE("declinedByIds", '{}')) THEN "declinedByIds"
                                 ELSE array_append(COALESCE("declinedByIds", '{}'), ${userId}::uuid) END,
          version = version + 1, "updatedAt" = now()
      WHERE id = ${id}::uuid AND state = 'CLAIMED' AND "claimedById" = ${userId}::uuid
        AND "hospitalId" = ANY(${[...hospitalIds]}::uuid[])
      RETURNING id`;
    return rows.length === 1;
  }

  /**
   * An admin hands the case to a reader, provided nobody changed it since the admin's read
   * (`version`). The new reader is no longer counted as having declined it.
   */
  async reassign(item: { id: string; version: number; declinedByIds: readonly string[] }, userId: string, leaseMs: number): Promise<Claimed | null> {
    const db = await this.tenancy.db();
    const now = new Date();
    const leaseExpiresAt = new Date(now.getTime() + leaseMs);
    const { count } = await db.worklistItem.updateMany({
      where: { id: item.id, version: item.version, state: { in: ['UNREAD', 'CLAIMED'] } },
      data: {
        state: 'CLAIMED',
        claimedById: userId,
        claimedAt: now,
        leaseExpiresAt,
        claimSource: 'REASSIGN',
        declinedByIds: item.declinedByIds.filter((d) => d !== userId),
        version: { increment: 1 },
      },
    });
    return count === 1 ? { id: item.id, leaseExpiresAt } : null;
  }
}
