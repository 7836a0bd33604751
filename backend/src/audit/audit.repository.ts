import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';
import type { Prisma } from '../generated/prisma/client.js';

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
  async append(event: Omit<Prisma.AuditEventCreateManyInput, 'patientId'>, patientIds: readonly (string | null)[]): Promise<void> {
    // Plain SQL on the pool under Prisma: every patient-data read waits on this insert.
    await this.prisma.pool.query(
      `INSERT INTO "AuditEvent" ("actorKind", "actorId", "actorRole", "actorName", action, "objectType", "objectId",
                                 "patientId", "hospitalId", "sourceIp", outcome, "requestId", detail)
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
