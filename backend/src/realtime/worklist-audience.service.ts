import { Injectable } from '@nestjs/common';
import type { UserPrincipal } from '../common/principal.js';
import { Subspecialty } from '../generated/prisma/enums.js';
import { TenancyService } from '../tenancy/tenancy.service.js';
import { UsersRepository } from '../users/users.repository.js';

/** Everything said to one person (notifications, cases assigned to them), on every open tab. */
export const userRoom = (userId: string) => `user:${userId}`;

/** Everyone who may see the open cases of one hospital routed to one subspecialty. */
export const caseRoom = (hospitalId: string, subspecialty: Subspecialty) => `cases:${hospitalId}:${subspecialty}`;

/** Rooms this feature manages (a socket's own id room is socket.io's). */
export const isAudienceRoom = (room: string) => room.startsWith('user:') || room.startsWith('cases:');

const ALL_SUBSPECIALTIES = Object.values(Subspecialty);

/**
 * Which rooms a person's worklist socket belongs to, with the same rules as GET /api/worklist:
 * radiologists hear about their scope's cases in their subspecialties plus general work, admins
 * about every case of their network; staff and specialists have no worklist, only their own room.
 */
@Injectable()
export class WorklistAudience {
  constructor(
    private readonly tenancy: TenancyService,
    private readonly users: UsersRepository,
  ) {}

  /** `subspecialties`: the radiologist's, when the caller has just read the account anyway. */
  async roomsFor(principal: UserPrincipal, subspecialties?: readonly Subspecialty[]): Promise<string[]> {
    const rooms = [userRoom(principal.userId)];
    let readable: readonly Subspecialty[];
    switch (principal.role) {
      case 'RADIOLOGIST': {
        const own = subspecialties ?? (await this.users.findById(principal.userId))?.subspecialties ?? [];
        readable = [...new Set<Subspecialty>([...own, 'GENERAL'])];
        break;
      }
      case 'ADMIN':
        readable = ALL_SUBSPECIALTIES;
        break;
      default:
        return rooms;
    }
    const { hospitalIds } = await this.tenancy.computeScope(principal);
    for (const hospitalId of hospitalIds) for (const s of readable) rooms.push(caseRoom(hospitalId, s));
    return rooms;
  }
}
