import { Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { UserPrincipal } from '../common/principal.js';
import { ShiftsRepository } from './shifts.repository.js';

const present = (s: { id: string; startsAt: Date; endsAt: Date }) => ({ id: s.id, startsAt: s.startsAt.toISOString(), endsAt: s.endsAt.toISOString() });

@Injectable()
export class ShiftsService {
  constructor(
    private readonly shifts: ShiftsRepository,
    private readonly audit: AuditService,
  ) {}

  async list(admin: UserPrincipal, userId: string) {
    await this.reader(admin, userId);
    return { items: (await this.shifts.list(userId)).map(present) };
  }

  async replace(admin: UserPrincipal, userId: string, shifts: readonly { startsAt: Date; endsAt: Date }[]) {
    const user = await this.reader(admin, userId);
    if (user.role !== 'RADIOLOGIST') throw new UnprocessableEntityException(`${user.displayName} is not a radiologist; only radiologists have shifts`);
    const items = (await this.shifts.replace(userId, shifts)).map(present);
    await this.audit.record({ action: 'user.shifts.replace', objectType: 'User', objectId: userId, detail: { shifts: items.length } });
    return { items };
  }

  /** Users of another network do not exist for this admin. */
  private async reader(admin: UserPrincipal, userId: string) {
    const user = await this.shifts.findUser(userId, admin.networkId);
    if (!user) throw new NotFoundException('User not found');
    return user;
  }
}
