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

  append(rows: Prisma.AuditEventCreateManyInput[]): Promise<unknown> {
    return this.prisma.auditEvent.createMany({ data: rows });
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
