import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { PasswordService } from '../auth/password.service.js';
import type { UserPrincipal } from '../common/principal.js';
import { isUniqueViolation } from '../common/prisma-errors.js';
import { TenancyService } from '../tenancy/tenancy.service.js';
import { UsersRepository } from './users.repository.js';
import type { CreateUserDto } from './users.schemas.js';

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly passwords: PasswordService,
    private readonly tenancy: TenancyService,
    private readonly audit: AuditService,
  ) {}

  list(admin: UserPrincipal) {
    return this.users.list(admin.networkId);
  }

  async get(admin: UserPrincipal, id: string) {
    const user = await this.users.findPublic(id);
    if (!user || user.networkId !== admin.networkId) throw new NotFoundException('User not found');
    return user;
  }

  async create(admin: UserPrincipal, dto: CreateUserDto) {
    // Every hospital named must be one this admin administers; others "do not exist".
    const hospitalIds = [dto.hospitalId, ...(dto.privileges ?? []).map((p) => p.hospitalId)].filter(Boolean) as string[];
    for (const id of hospitalIds) {
      if (!(await this.tenancy.canSeeHospital(id))) throw new NotFoundException(`Hospital ${id} not found`);
    }
    let user;
    try {
      user = await this.users.create({
        email: dto.email,
        displayName: dto.displayName ?? dto.email,
        passwordHash: await this.passwords.hash(dto.password),
        role: dto.role,
        network: { connect: { id: admin.networkId } },
        hospital: dto.hospitalId ? { connect: { id: dto.hospitalId } } : undefined,
        subspecialties: dto.subspecialties ?? [],
        licenses: dto.licenses ? { create: dto.licenses } : undefined,
        privileges: dto.privileges ? { create: dto.privileges } : undefined,
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictException('A user with this email already exists');
      throw err;
    }
    await this.audit.record({ action: 'user.create', objectType: 'User', objectId: user.id, hospitalId: dto.hospitalId });
    return user;
  }
}
