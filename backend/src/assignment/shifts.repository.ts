import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';

const SHIFT = { id: true, startsAt: true, endsAt: true } as const;

/** Radiologists' duty hours (user data, not patient data: the unscoped client, checked by network in the service). */
@Injectable()
export class ShiftsRepository {
  constructor(private readonly prisma: PrismaService) {}

  list(userId: string) {
    return this.prisma.shift.findMany({ where: { userId }, select: SHIFT, orderBy: [{ startsAt: 'asc' }, { endsAt: 'asc' }] });
  }

  /** Replaces the whole schedule in one transaction, so a reader is never briefly without shifts. */
  async replace(userId: string, shifts: readonly { startsAt: Date; endsAt: Date }[]) {
    await this.prisma.$transaction([
      this.prisma.shift.deleteMany({ where: { userId } }),
      this.prisma.shift.createMany({ data: shifts.map((s) => ({ userId, startsAt: s.startsAt, endsAt: s.endsAt })) }),
    ]);
    return this.list(userId);
  }

  findUser(id: string, networkId: string) {
    return this.prisma.user.findFirst({ where: { id, networkId }, select: { id: true, role: true, displayName: true } });
  }
}
