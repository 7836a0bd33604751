import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';
import { TenancyService } from '../tenancy/tenancy.service.js';
import type { Prisma } from '../generated/prisma/client.js';

const HOSPITAL = {
  id: true,
  name: true,
  jurisdiction: true,
  timezone: true,
  slaStatMinutes: true,
  slaUrgentMinutes: true,
  slaRoutineMinutes: true,
  defaultPriority: true,
  requireNextCase: true,
  autoAssign: true,
  createdAt: true,
  aeTitles: { select: { aeTitle: true } },
} satisfies Prisma.HospitalSelect;

const ARCHIVE = {
  id: true,
  hospitalId: true,
  name: true,
  dicomwebUrl: true,
  authType: true,
  status: true,
  lastSyncAt: true,
  lastSuccessAt: true,
  lastError: true,
  studiesSeen: true,
  createdAt: true,
} satisfies Prisma.ArchiveSelect;

type HospitalRow = Prisma.HospitalGetPayload<{ select: typeof HOSPITAL }>;
const present = ({ aeTitles, ...h }: HospitalRow) => ({ ...h, aeTitles: aeTitles.map((a) => a.aeTitle) });

/** Hospitals and their archives, always read through the caller's scope. */
@Injectable()
export class HospitalsRepository {
  constructor(
    private readonly tenancy: TenancyService,
    private readonly prisma: PrismaService,
  ) {}

  async list() {
    const db = await this.tenancy.db();
    return (await db.hospital.findMany({ select: HOSPITAL, orderBy: { name: 'asc' } })).map(present);
  }

  async find(id: string) {
    const db = await this.tenancy.db();
    const row = await db.hospital.findUnique({ where: { id }, select: HOSPITAL });
    return row && present(row);
  }

  /** Unscoped on purpose: a new hospital is in nobody's scope until it exists (admins only). */
  async create(networkId: string, data: Omit<Prisma.HospitalCreateWithoutNetworkInput, 'aeTitles'>, aeTitles: string[]) {
    const row = await this.prisma.hospital.create({
      data: { ...data, network: { connect: { id: networkId } }, aeTitles: { create: aeTitles.map((aeTitle) => ({ aeTitle })) } },
      select: { id: true },
    });
    return row.id;
  }

  async findArchive(id: string) {
    const db = await this.tenancy.db();
    return db.archive.findUnique({ where: { id }, select: ARCHIVE });
  }

  async listArchives(hospitalId?: string) {
    const db = await this.tenancy.db();
    return db.archive.findMany({ where: { hospitalId }, select: ARCHIVE, orderBy: { createdAt: 'asc' } });
  }

  async createArchive(data: Prisma.ArchiveUncheckedCreateInput) {
    const db = await this.tenancy.db();
    return db.archive.create({ data, select: ARCHIVE });
  }
}
