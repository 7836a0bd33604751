import { Injectable, Logger } from '@nestjs/common';
import { InvalidationBus, worklistQueue } from '../cache/invalidation-bus.js';
import type { NotificationView, Subspecialty, WorklistChange } from '../contracts/worklist.js';
import { PrismaService } from '../database/prisma.service.js';
import { caseRoom, userRoom } from './worklist-audience.service.js';
import { WorklistGateway } from './worklist.gateway.js';

/** Where a case was routed before a change moved it (its old audience must drop it). */
export interface PreviousRouting {
  hospitalId: string;
  subspecialty: Subspecialty;
}

type ChangeRow = Omit<WorklistChange, 'dueAt' | 'leaseExpiresAt' | 'breachedAt'> & {
  claimedById: string | null;
  dueAt: Date;
  leaseExpiresAt: Date | null;
  breachedAt: Date | null;
};

/** Postgres takes at most 65k bind parameters; large bursts are loaded in slices. */
const LOAD_CHUNK = 1000;

/**
 * Publishes worklist changes to every open worklist that may show them, in every backend
 * process (the gateway's namespace broadcasts through Redis). Callers say which cases changed
 * after committing; events never carry patient data. Never throws: a lost event is recoverable
 * because clients refetch on (re)connect.
 */
@Injectable()
export class WorklistEvents {
  private readonly logger = new Logger(WorklistEvents.name);
  /** Cases changed since the last flush, with the routing they had before the first of those changes. */
  private pending = new Map<string, PreviousRouting | undefined>();
  /** Of those, the ones whose change may move cases in lists (see changed()'s `moves`). */
  private moving = new Set<string>();
  private scheduled: Promise<void> | null = null;
  /** Flushes run one after another, so one process never sends an older version after a newer one. */
  private last: Promise<void> = Promise.resolve();

  constructor(
    private readonly prisma: PrismaService,
    private readonly gateway: WorklistGateway,
    private readonly bus: InvalidationBus,
  ) {}

  /**
   * These cases changed (created, claimed, released, re-prioritised, breached, read…).
   * `moves: false` when the change leaves every list's members and order as they were (what the
   * list shows of the case changed, not which lists show it where: a lease renewed, a breach
   * marked): cached pages then drop only if they list one of these cases, not every page of
   * their queues. Calls made in the same tick are coalesced into one query; resolves once they are sent.
   */
  changed(itemIds: readonly string[], previous?: ReadonlyMap<string, PreviousRouting>, moves = true): Promise<void> {
    for (const id of itemIds) {
      if (this.pending.get(id) === undefined) this.pending.set(id, previous?.get(id));
      if (moves) this.moving.add(id);
    }
    this.scheduled ??= new Promise<void>((resolve) =>
      setImmediate(() => {
        this.scheduled = null;
        const batch = this.pending;
        const moving = this.moving;
        this.pending = new Map();
        this.moving = new Set();
        this.last = this.last.then(() => this.flush(batch, moving));
        void this.last.then(resolve);
      }),
    );
    return this.scheduled;
  }

  /** Push a stored notification to its user's open sessions. */
  async notify(userId: string, notification: NotificationView): Promise<void> {
    try {
      const server = this.gateway.server;
      if (!server) return this.noServer();
      server.to(userRoom(userId)).emit('notification', notification);
    } catch (err) {
      this.logger.warn(`notification ${notification.id} not pushed: ${(err as Error).message}`);
    }
  }

  private async flush(batch: Map<string, PreviousRouting | undefined>, moving: ReadonlySet<string>): Promise<void> {
    if (batch.size === 0) return;
    const ids = [...batch.keys()];
    let rows: ChangeRow[];
    try {
      rows = [];
      for (let i = 0; i < ids.length; i += LOAD_CHUNK) rows.push(...(await this.load(ids.slice(i, i + LOAD_CHUNK))));
    } catch (err) {
      this.logger.warn(`worklist changes not published (${batch.size} cases): ${(err as Error).message}`);
      // Which hospitals changed is unknown: every cached worklist page goes.
      return this.bus.publish('worklist', { hospitalIds: null });
    }
    // Cached worklist pages (every process) first: whoever hears the event and refetches gets the change.
    const queues = new Set(rows.filter((r) => moving.has(r.id)).map((r) => worklistQueue(r.hospitalId, r.subspecialty)));
    for (const before of batch.values()) if (before) queues.add(worklistQueue(before.hospitalId, before.subspecialty));
    const items = rows.filter((r) => !moving.has(r.id)).map((r) => r.id);
    const unknown = rows.length < batch.size && ids.some((id) => !batch.get(id) && !rows.some((r) => r.id === id));
    await this.bus.publish('worklist', unknown ? { hospitalIds: null } : { queues: [...queues], items });
    try {
      const server = this.gateway.server;
      if (!server) return this.noServer();
      for (const row of rows) {
        const { claimedById, ...rest } = row;
        const change: WorklistChange = {
          ...rest,
          claimedBy: claimedById,
          dueAt: row.dueAt.toISOString(),
          leaseExpiresAt: row.leaseExpiresAt?.toISOString() ?? null,
          breachedAt: row.breachedAt?.toISOString() ?? null,
        };
        // The case's audience, and its reader even if no longer eligible (an assignment, a reassignment).
        const audience = [caseRoom(row.hospitalId, row.subspecialty), ...(claimedById ? [userRoom(claimedById)] : [])];
        server.to(audience).emit('worklist:changed', change);
        const before = batch.get(row.id);
        if (before && (before.hospitalId !== row.hospitalId || before.subspecialty !== row.subspecialty)) {
          server.to(caseRoom(before.hospitalId, before.subspecialty)).except(audience).emit('worklist:removed', { id: row.id, version: row.version });
        }
      }
    } catch (err) {
      this.logger.warn(`worklist changes not published (${batch.size} cases): ${(err as Error).message}`);
    }
  }

  /** One query for the event fields of these cases, with the reader's name. */
  private load(ids: string[]): Promise<ChangeRow[]> {
    return this.prisma.$queryRaw<ChangeRow[]>`
      SELECT w.id, w.version, w."hospitalId", w.subspecialty::text AS subspecialty, w.priority::text AS priority,
             w.state::text AS state, w."dueAt", w."claimedById", u."displayName" AS "claimedByName",
             w."claimSource"::text AS "claimSource", w."leaseExpiresAt", w."breachedAt"
      FROM "WorklistItem" w
      LEFT JOIN "User" u ON u.id = w."claimedById"
      WHERE w.id = ANY(${ids}::uuid[])`;
  }

  private noServer(): void {
    // Only when no HTTP app runs in this process (a script): nobody can be listening here.
    this.logger.debug('live updates skipped: no socket server in this process');
  }
}
