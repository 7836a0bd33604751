import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';
import { Prisma, type AuditEvent } from '../generated/prisma/client.js';

/** One audit event, as written. */
export type AuditEventFields = Prisma.AuditEventCreateManyInput & { patientIds: string[] };

/** An event as read: `patientIds` holds all its patients, its own and its patient set's. */
export type AuditEventRow = Omit<AuditEvent, 'patientSetDigest'>;

const COLUMNS = `"actorKind", "actorId", "actorRole", "actorName", action, "objectType", "objectId",
                 "patientIds", "patientSetDigest", "hospitalId", "sourceIp", outcome, "requestId", detail`;

const APPEND_SQL = `INSERT INTO "AuditEvent" (${COLUMNS})
  SELECT e.k::"ActorKind", e.a, e.r, e.m, e.x, e.t, e.o, e.p, e.ps, e.h::uuid, e.s, e.u::"AuditOutcome", e.q, e.d
  FROM jsonb_to_recordset($1::jsonb) AS e(k text, a text, r text, m text, x text, t text, o text, h text, s text, u text, q text, d jsonb, p uuid[], ps text)`;

export interface AuditQuery {
  actorId?: string;
  patientId?: string;
  hospitalId?: string;
  action?: string;
  outcome?: 'SUCCESS' | 'DENIED' | 'FAILURE';
  from?: Date;
  to?: Date;
  limit: number;
  offset: number;
}

/** Append-only: this repository has no update or delete, and the database refuses both. */
@Injectable()
export class AuditRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Several events in one statement; all or none are written. The batch travels as one JSON
   * parameter: cheaper to encode than a dozen array parameters. Rows are not sorted (ids follow
   * the batch's order in practice; nothing relies on it).
   */
  async appendMany(events: readonly AuditEventFields[]): Promise<void> {
    const rows = events.map((e) => ({
      k: e.actorKind,
      a: e.actorId ?? null,
      r: e.actorRole ?? null,
      m: e.actorName ?? null,
      x: e.action,
      t: e.objectType,
      o: e.objectId ?? null,
      h: e.hospitalId ?? null,
      s: e.sourceIp ?? null,
      u: e.outcome ?? 'SUCCESS',
      q: e.requestId ?? null,
      d: e.detail ?? null,
      p: e.patientIds,
      ps: e.patientSetDigest ?? null,
    }));
    // Plain SQL on the pool under Prisma, prepared once per connection (named): every
    // patient-data read waits on this insert, hundreds of times a second on a busy night.
    await this.prisma.pool.query({ name: 'audit-append', text: APPEND_SQL, values: [JSON.stringify(rows)] });
  }

  /**
   * An event as an INSERT for a data-modifying CTE of the reading statement: its patients are the
   * distinct "patientId"s of the relation `rows`, and detail.count the number of rows.
   */
  appendSql(event: Omit<AuditEventFields, 'patientIds'>, rows: Prisma.Sql): Prisma.Sql {
    const sql = Prisma.sql;
    const detail = event.detail === undefined || event.detail === null ? {} : event.detail;
    return sql`INSERT INTO "AuditEvent" (${Prisma.raw(COLUMNS)})
      SELECT ${event.actorKind}::"ActorKind", ${event.actorId ?? null}::text, ${event.actorRole ?? null}::text, ${event.actorName ?? null}::text,
             ${event.action}::text, ${event.objectType}::text, ${event.objectId ?? null}::text, r.ps, NULL, ${event.hospitalId ?? null}::uuid,
             ${event.sourceIp ?? null}::text, ${event.outcome ?? 'SUCCESS'}::"AuditOutcome", ${event.requestId ?? null}::text,
             ${JSON.stringify(detail)}::jsonb || jsonb_build_object('count', r.n)
      FROM (SELECT coalesce(array_agg(DISTINCT "patientId") FILTER (WHERE "patientId" IS NOT NULL), '{}') AS ps, count(*) AS n FROM ${rows}) r`;
  }

  /** Stores a patient set under its digest; already stored (same patients): nothing to do. Committed on return. */
  async putPatientSet(digest: string, patientIds: readonly string[]): Promise<void> {
    await this.prisma.pool.query(
      `INSERT INTO "AuditPatientSet" (digest, "patientIds") VALUES ($1, $2::uuid[]) ON CONFLICT (digest) DO NOTHING`,
      [digest, patientIds],
    );
  }

  async search(q: AuditQuery): Promise<{ items: AuditEventRow[]; total: number }> {
    // A patient's events: those naming them, and those naming a set that holds them.
    const sets = q.patientId ? await this.prisma.auditPatientSet.findMany({ where: { patientIds: { has: q.patientId } }, select: { digest: true } }) : [];
    const where: Prisma.AuditEventWhereInput = {
      actorId: q.actorId,
      OR: q.patientId ? [{ patientIds: { has: q.patientId } }, { patientSetDigest: { in: sets.map((s) => s.digest) } }] : undefined,
      hospitalId: q.hospitalId,
      action: q.action,
      outcome: q.outcome,
      at: q.from || q.to ? { gte: q.from, lt: q.to } : undefined,
    };
    const [rows, total] = await Promise.all([
      this.prisma.auditEvent.findMany({ where, orderBy: { id: 'desc' }, take: q.limit, skip: q.offset }),
      this.prisma.auditEvent.count({ where }),
    ]);
    const digests = [...new Set(rows.flatMap((e) => (e.patientSetDigest ? [e.patientSetDigest] : [])))];
    const patientsOf = new Map(
      digests.length ? (await this.prisma.auditPatientSet.findMany({ where: { digest: { in: digests } } })).map((s) => [s.digest, s.patientIds]) : [],
    );
    const items = rows.map(({ patientSetDigest, ...e }) => ({
      ...e,
      patientIds: patientSetDigest ? [...new Set([...e.patientIds, ...(patientsOf.get(patientSetDigest) ?? [])])] : e.patientIds,
    }));
    return { items, total };
  }
}
