import { Injectable, NotFoundException } from '@nestjs/common';
import type { NotificationView } from '../contracts/worklist.js';
import { PrismaService } from '../database/prisma.service.js';
import type { Notification } from '../generated/prisma/client.js';
import { WorklistEvents } from '../realtime/worklist-events.service.js';

export interface NewNotification {
  kind: NotificationView['kind'];
  title: string;
  body: string;
  worklistItemId?: string | null;
}

export const presentNotification = (n: Notification): NotificationView => ({
  id: n.id,
  kind: n.kind as NotificationView['kind'],
  title: n.title,
  body: n.body,
  worklistItemId: n.worklistItemId,
  createdAt: n.createdAt.toISOString(),
  readAt: n.readAt?.toISOString() ?? null,
});

/** Messages for users: stored (so nothing is lost while offline), then pushed live. */
@Injectable()
export class NotificationsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly events: WorklistEvents,
  ) {}

  /** One notification per user. Callers keep it idempotent (e.g. after an escalation row was inserted once). */
  async send(userIds: readonly string[], n: NewNotification): Promise<void> {
    if (userIds.length === 0) return;
    const rows = await this.prisma.notification.createManyAndReturn({
      data: [...new Set(userIds)].map((userId) => ({ userId, kind: n.kind, title: n.title, body: n.body, worklistItemId: n.worklistItemId ?? null })),
    });
    await Promise.all(rows.map((row) => this.events.notify(row.userId, presentNotification(row))));
  }

  async listFor(userId: string, unreadOnly: boolean, limit: number) {
    const rows = await this.prisma.notification.findMany({
      where: { userId, ...(unreadOnly ? { readAt: null } : {}) },
      orderBy: { createdAt: 'desc' },
      take: limit,
    });
    return { items: rows.map(presentNotification) };
  }

  async markRead(userId: string, id: string) {
    const { count } = await this.prisma.notification.updateMany({ where: { id, userId, readAt: null }, data: { readAt: new Date() } });
    if (count === 0 && !(await this.prisma.notification.findFirst({ where: { id, userId }, select: { id: true } }))) {
      throw new NotFoundException('Notification not found');
    }
    return presentNotification((await this.prisma.notification.findUniqueOrThrow({ where: { id } })));
  }
}
