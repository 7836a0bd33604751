import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';
import { TenancyService } from '../tenancy/tenancy.service.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { Subspecialty } from '../generated/prisma/enums.js';

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
  autoAssignSubspecialties: true,
  createdAt: true,
  aeTitles: { select: { aeTitle: true }, orderBy: { aeTitle: 'asc' } },
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

  /**
   * Changes a hospital's settings and, when `aeTitles` is given, makes it exactly that set, in one
   * transaction. The hospital was found in the caller's scope first; the network in the WHERE
   * clause repeats that check. A title held by another hospital fails the insert (unique key).
   */
  async update(id: string, networkId: string, data: Prisma.HospitalUpdateManyMutationInput, aeTitles?: { keep: readonly string[]; add: readonly string[] }) {
    await this.prisma.$transaction([
      this.prisma.hospital.updateMany({ where: { id, networkId }, data }),
      ...(aeTitles
        ? [
            this.prisma.hospitalAeTitle.deleteMany({ where: { hospitalId: id, aeTitle: { notIn: [...aeTitles.keep] } } }),
            this.prisma.hospitalAeTitle.createMany({ data: aeTitles.add.map((aeTitle) => ({ aeTitle, hospitalId: id })) }),
          ]
        : []),
    ]);
  }

  /** Which of these AE titles another hospital holds (AE titles are unique platform-wide). */
  async aeTitlesTaken(aeTitles: readonly string[], exceptHospitalId?: string) {
    const rows = await this.prisma.hospitalAeTitle.findMany({
      where: { aeTitle: { in: [...aeTitles] }, ...(exceptHospitalId ? { hospitalId: { not: exceptHospitalId } } : {}) },
      select: { aeTitle: true },
      orderBy: { aeTitle: 'asc' },
    });
    return rows.map((r) => r.aeTitle);
  }

  /** The hospital's cases waiting for a reader (no patient data: what auto-assignment needs to offer them). */
  async waitingCases(hospitalId: string): Promise<{ id: string; version: number; subspecialty: Subspecialty }[]> {
    const db = await this.tenancy.db();
    return db.worklistItem.findMany({ where: { hospitalId, state: 'UNREAD' }, select: { id: true, version: true, subspecialty: true } });
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
