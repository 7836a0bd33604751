import { Injectable } from '@nestjs/common';
import type { Prisma } from '../generated/prisma/client.js';
import type { Subspecialty } from '../generated/prisma/enums.js';
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
  version: true,
  hospital: { select: { name: true } },
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

@Injectable()
export class WorklistRepository {
  constructor(private readonly tenancy: TenancyService) {}

  /** Open cases in scope, most urgent first: priority class, then the nearest deadline. */
  async listOpen(subspecialties: readonly Subspecialty[] | null, limit: number, offset: number) {
    const db = await this.tenancy.db();
    const where: Prisma.WorklistItemWhereInput = {
      state: { in: ['UNREAD', 'CLAIMED', 'PRELIMINARY'] },
      subspecialty: subspecialties ? { in: [...subspecialties, 'GENERAL'] } : undefined,
    };
    const [items, total] = await Promise.all([
      db.worklistItem.findMany({ where, select: ITEM, orderBy: [{ priority: 'asc' }, { dueAt: 'asc' }, { id: 'asc' }], take: limit, skip: offset }),
      db.worklistItem.count({ where }),
    ]);
    return { items, total };
  }

  async find(id: string) {
    const db = await this.tenancy.db();
    return db.worklistItem.findUnique({ where: { id }, select: ITEM });
  }

  /**
   * Takes the case for one reader with a single conditional UPDATE: of any number of
   * concurrent callers exactly one matches the row (open, or a lapsed lease). Scoped.
   */
  async claim(id: string, userId: string, subspecialties: readonly Subspecialty[], leaseMs: number): Promise<boolean> {
    const db = await this.tenancy.db();
    const now = new Date();
    const { count } = await db.worklistItem.updateMany({
      where: {
        id,
        subspecialty: { in: [...subspecialties, 'GENERAL'] },
        OR: [{ state: 'UNREAD' }, { state: 'CLAIMED', leaseExpiresAt: { lt: now } }, { state: 'CLAIMED', claimedById: userId }],
      },
      data: { state: 'CLAIMED', claimedById: userId, claimedAt: now, leaseExpiresAt: new Date(now.getTime() + leaseMs), version: { increment: 1 } },
    });
    return count === 1;
  }

  /** Returns a claimed case to the list; only its claimant (or, with `anyClaimant`, an admin) may. */
  async release(id: string, userId: string, anyClaimant: boolean): Promise<boolean> {
    const db = await this.tenancy.db();
    const { count } = await db.worklistItem.updateMany({
      where: { id, state: 'CLAIMED', ...(anyClaimant ? {} : { claimedById: userId }) },
      data: { state: 'UNREAD', claimedById: null, claimedAt: null, leaseExpiresAt: null, version: { increment: 1 } },
    });
    return count === 1;
  }
}
