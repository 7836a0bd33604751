import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';
import type { Prisma, User } from '../generated/prisma/client.js';

const PUBLIC_USER = {
  id: true,
  email: true,
  displayName: true,
  role: true,
  hospitalId: true,
  networkId: true,
  subspecialties: true,
  active: true,
  createdAt: true,
  licenses: { select: { jurisdiction: true, expiresAt: true }, orderBy: { jurisdiction: 'asc' } },
  privileges: { select: { hospitalId: true, expiresAt: true } },
} satisfies Prisma.UserSelect;

export type PublicUser = Prisma.UserGetPayload<{ select: typeof PUBLIC_USER }>;

/** What every request needs of its caller's account (see AccountCache). */
export type Account = Pick<User, 'id' | 'networkId' | 'email' | 'displayName' | 'role' | 'hospitalId' | 'subspecialties' | 'active'>;

@Injectable()
export class UsersRepository {
  constructor(private readonly prisma: PrismaService) {}

  findByEmail(email: string) {
    return this.prisma.user.findUnique({ where: { email: email.toLowerCase() } });
  }

  findById(id: string) {
    return this.prisma.user.findUnique({ where: { id } });
  }

  /** The account behind a request, in plain SQL on the pool: it is read for every signed-in person every few seconds. */
  async findAccount(id: string): Promise<Account | null> {
    const { rows } = await this.prisma.pool.query<Account>(
      `SELECT id, "networkId", email, "displayName", role::text AS role, "hospitalId", subspecialties::text[] AS subspecialties, active
       FROM "User" WHERE id = $1::uuid`,
      [id],
    );
    return rows[0] ?? null;
  }

  findPublic(id: string): Promise<PublicUser | null> {
    return this.prisma.user.findUnique({ where: { id }, select: PUBLIC_USER });
  }

  list(networkId: string): Promise<PublicUser[]> {
    return this.prisma.user.findMany({ where: { networkId }, select: PUBLIC_USER, orderBy: { email: 'asc' } });
  }

  create(data: Prisma.UserCreateInput): Promise<PublicUser> {
    return this.prisma.user.create({ data, select: PUBLIC_USER });
  }

  /** Counts a failed sign-in and locks the account when it reaches `max`; one atomic statement. */
  async recordFailedLogin(id: string, max: number, lockSeconds: number): Promise<{ lockedUntil: Date | null }> {
    const rows = await this.prisma.$queryRaw<{ lockedUntil: Date | null }[]>`
      UPDATE "User"
      SET "failedLogins" = "failedLogins" + 1,
          "lockedUntil" = CASE WHEN "failedLogins" + 1 >= ${max}
                               THEN now() + make_interval(secs => ${lockSeconds})
                               ELSE "lockedUntil" END
      WHERE id = ${id}::uuid
      RETURNING "lockedUntil"`;
    return rows[0] ?? { lockedUntil: null };
  }

  async clearFailedLogins(id: string): Promise<void> {
    await this.prisma.user.updateMany({
      where: { id, OR: [{ failedLogins: { gt: 0 } }, { lockedUntil: { not: null } }] },
      data: { failedLogins: 0, lockedUntil: null },
    });
  }
}
