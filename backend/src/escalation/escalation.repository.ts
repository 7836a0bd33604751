import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { SlaLevel } from '../contracts/worklist.js';
import { PrismaService } from '../database/prisma.service.js';
import type { Notification } from '../generated/prisma/client.js';
import { TenancyService } from '../tenancy/tenancy.service.js';

export interface EscalationRecord {
  itemId: string;
  level: SlaLevel;
  dueAt: Date;
  recipients: readonly string[];
  notification: { kind: string; title: string; body: string };
  at: Date;
}

/** Escalation data. The processor and the sweep are system code (unscoped); the admin list is scoped. */
@Injectable()
export class EscalationRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly tenancy: TenancyService,
  ) {}

  /** Everything a message says about a case, plus who may be told. */
  findCase(itemId: string) {
    return this.prisma.worklistItem.findUnique({
      where: { id: itemId },
      select: {
        id: true,
        state: true,
        priority: true,
        receivedAt: true,
        dueAt: true,
        leaseExpiresAt: true,
        claimedBy: { select: { id: true, displayName: true, active: true } },
        hospital: { select: { name: true, timezone: true, networkId: true } },
        study: { select: { accessionNumber: true, modalities: true, bodyPart: true, description: true } },
      },
    });
  }

  async activeAdminIds(networkId: string): Promise<string[]> {
    const rows = await this.prisma.user.findMany({ where: { networkId, role: 'ADMIN', active: true }, select: { id: true } });
    return rows.map((r) => r.id);
  }

  /**
   * Fires one escalation, once: the SlaEscalation row (unique per case, level and due time) and
   * the notifications commit together, so a crash either leaves nothing (the retry fires) or
   * everything (the retry finds the row and does nothing). The row is only written while the case
   * is still open with that due time, checked in the same statement. Returns the stored
   * notifications to push, or null when this level had already fired (or the case moved on).
   */
  record(e: EscalationRecord): Promise<Notification[] | null> {
    return this.prisma.$transaction(async (tx) => {
      const inserted = await tx.$queryRaw<{ id: string }[]>`
        INSERT INTO "SlaEscalation" (id, "worklistItemId", level, "dueAt", "firedAt", "notifiedUserIds")
        SELECT ${randomUUID()}::uuid, w.id, ${e.level}::"SlaLevel", w."dueAt", ${e.at}, ${[...e.recipients]}::uuid[]
        FROM "WorklistItem" w
        WHERE w.id = ${e.itemId}::uuid AND w."dueAt" = ${e.dueAt} AND w.state <> 'FINAL'
        ON CONFLICT ("worklistItemId", level, "dueAt") DO NOTHING
        RETURNING id`;
      if (inserted.length === 0) return null;
      if (e.level === 'BREACH') {
        // Set once: a later due time (re-prioritised after a breach) does not move the first breach.
        await tx.worklistItem.updateMany({ where: { id: e.itemId, breachedAt: null }, data: { breachedAt: e.at, version: { increment: 1 } } });
      }
      if (e.recipients.length === 0) return [];
      return tx.notification.createManyAndReturn({
        data: e.recipients.map((userId) => ({ userId, worklistItemId: e.itemId, ...e.notification, createdAt: e.at })),
      });
    });
  }

  /**
   * One page of open cases (keyset by id) with the levels already fired for their current due
   * time: what the sweep needs to re-create lost jobs without touching the rest.
   */
  openCasesAfter(afterId: string | null, limit: number) {
    // The page first (primary key order, open states), then each case's fired levels through the
    // unique index: the cost of a page does not grow with the number of cases.
    return this.prisma.$queryRaw<{ id: string; receivedAt: Date; dueAt: Date; fired: SlaLevel[] }[]>`
      SELECT w.id, w."receivedAt", w."dueAt",
             ARRAY(SELECT e.level::text FROM "SlaEscalation" e WHERE e."worklistItemId" = w.id AND e."dueAt" = w."dueAt") AS fired
      FROM "WorklistItem" w
      WHERE w.state IN ('UNREAD', 'CLAIMED', 'PRELIMINARY')
        AND w.id > ${afterId ?? '00000000-0000-0000-0000-000000000000'}::uuid
      ORDER BY w.id
      LIMIT ${limit}`;
  }

  /** Recent escalations in the caller's hospitals, newest first. */
  async listRecent(since: Date, limit: number) {
    const scope = await this.tenancy.scope();
    const db = await this.tenancy.db();
    return db.slaEscalation.findMany({
      where: { firedAt: { gte: since }, worklistItem: { hospitalId: { in: [...scope.hospitalIds] } } },
      orderBy: [{ firedAt: 'desc' }, { id: 'asc' }],
      take: limit,
      select: {
        id: true,
        worklistItemId: true,
        level: true,
        dueAt: true,
        firedAt: true,
        notifiedUserIds: true,
        worklistItem: {
          select: { hospitalId: true, priority: true, state: true, hospital: { select: { name: true } }, study: { select: { modalities: true } } },
        },
      },
    });
  }
}
