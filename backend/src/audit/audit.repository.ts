import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';
import { Prisma } from '../generated/prisma/client.js';

/** One audit event without its patient (the caller gives one event per patient). */
export type AuditEventFields = Omit<Prisma.AuditEventCreateManyInput, 'patientId'>;

const COLUMNS = `"actorKind", "actorId", "actorRole", "actorName", action, "objectType", "objectId",
                 "patientId", "hospitalId", "sourceIp", outcome, "requestId", detail`;

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
   * One event per patient in a single statement: list reads touch up to a page of
   * patients, and a row-by-row insert would cost more than the read itself.
   */
  async append(event: AuditEventFields, patientIds: readonly (string | null)[]): Promise<void> {
    // Plain SQL on the pool under Prisma: every patient-data read waits on this insert.
    await this.prisma.pool.query(
      `INSERT INTO "AuditEvent" (${COLUMNS})
       SELECT $1::"ActorKind", $2, $3, $4, $5, $6, $7, p::uuid, $8::uuid, $9, $10::"AuditOutcome", $11, $12::jsonb
       FROM unnest($13::text[]) AS p`,
      [
        event.actorKind,
        event.actorId ?? null,
        event.actorRole ?? null,
        event.actorName ?? null,
        event.action,
        event.objectType,
        event.objectId ?? null,
        event.hospitalId ?? null,
        event.sourceIp ?? null,
        event.outcome ?? 'SUCCESS',
        event.requestId ?? null,
        event.detail === undefined ? null : JSON.stringify(event.detail),
        patientIds,
      ],
    );
  }

  /**
   * Several events (each with its patients: one row per patient) in one statement; all or none
   * are written. The batch travels as one JSON parameter: cheaper to encode than a dozen array
   * parameters. Rows are not sorted (ids follow the batch's order in practice; nothing relies on it).
   */
  async appendMany(events: readonly { event: AuditEventFields; patientIds: readonly (string | null)[] }[]): Promise<void> {
    const rows = events.map(({ event: e, patientIds }) => ({
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
      p: patientIds,
    }));
    await this.prisma.pool.query(
      `INSERT INTO "AuditEvent" (${COLUMNS})
       SELECT e.k::"ActorKind", e.a, e.r, e.m, e.x, e.t, e.o, p.id::uuid, e.h::uuid, e.s, e.u::"AuditOutcome", e.q, e.d
       FROM jsonb_to_recordset($1::jsonb) AS e(k text, a text, r text, m text, x text, t text, o text, h text, s text, u text, q text, d jsonb, p jsonb)
       CROSS JOIN LATERAL jsonb_array_elements_text(e.p) AS p(id)`,
      [JSON.stringify(rows)],
    );
  }

  /**
   * append() as an INSERT for a data-modifying CTE of the reading statement: one event per
   * distinct "patientId" of the relation `rows` (one without a patient when it is empty),
   * with the number of rows as detail.count.
   */
  appendSql(event: AuditEventFields, rows: Prisma.Sql): Prisma.Sql {
    const sql = Prisma.sql;
    const detail = event.detail === undefined || event.detail === null ? {} : event.detail;
    return sql`INSERT INTO "AuditEvent" (${Prisma.raw(COLUMNS)})
      SELECT ${event.actorKind}::"ActorKind", ${event.actorId ?? null}::text, ${event.actorRole ?? null}::text, ${event.actorName ?? null}::text,
             ${event.action}::text, ${event.objectType}::text, ${event.objectId ?? null}::text, x.p, ${event.hospitalId ?? null}::uuid,
             ${event.sourceIp ?? null}::text, ${event.outcome ?? 'SUCCESS'}::"AuditOutcome", ${event.requestId ?? null}::text,
             ${JSON.stringify(detail)}::jsonb || jsonb_build_object('count', r.n)
      FROM (SELECT array_agg(DISTINCT "patientId") AS ps, count(*) AS n FROM ${rows}) r,
           unnest(CASE WHEN r.n > 0 THEN r.ps ELSE ARRAY[NULL::uuid] END) AS x(p)`;
  }

  async search(q: AuditQuery) {
    const where: Prisma.AuditEventWhereInput = {
      actorId: q.actorId,
      patientId: q.patientId,
      hospitalId: q.hospitalId,
      action: q.action,
      outcome: q.outcome,
      at: q.from || q.to ? { gte: q.from, lt: q.to } : undefined,
    };
    const [items, total] = await Promise.all([
      this.prisma.auditEvent.findMany({ where, orderBy: { id: 'desc' }, take: q.limit, skip: q.offset }),
      this.prisma.auditEvent.count({ where }),
    ]);
    return { items, total };
  }
}
