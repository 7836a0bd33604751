import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { ArchiveSyncScheduler } from '../archive-sync/archive-sync.scheduler.js';
import { AuditService } from '../audit/audit.service.js';
import { ApiKeyService } from '../auth/api-key.service.js';
import type { UserPrincipal } from '../common/principal.js';
import { isUniqueViolation } from '../common/prisma-errors.js';
import { TenancyService } from '../tenancy/tenancy.service.js';
import { HospitalsRepository } from './hospitals.repository.js';
import type { CreateApiKeyDto, CreateArchiveDto, CreateHospitalDto } from './hospitals.schemas.js';

@Injectable()
export class HospitalsService {
  constructor(
    private readonly hospitals: HospitalsRepository,
    private readonly apiKeys: ApiKeyService,
    private readonly tenancy: TenancyService,
    private readonly audit: AuditService,
    private readonly archiveSync: ArchiveSyncScheduler,
  ) {}

  list() {
    return this.hospitals.list();
  }

  async get(id: string) {
    const hospital = await this.hospitals.find(id);
    if (!hospital) throw new NotFoundException('Hospital not found');
    return hospital;
  }

  async create(admin: UserPrincipal, dto: CreateHospitalDto) {
    const { aeTitles = [], ...data } = dto;
    const unique = [...new Set(aeTitles)];
    let id: string;
    try {
      id = await this.hospitals.create(admin.networkId, data, unique);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictException(`AE title already belongs to another hospital: ${unique.join(', ')}`);
      throw err;
    }
    this.tenancy.invalidateScope();
    await this.audit.record({ action: 'hospital.create', objectType: 'Hospital', objectId: id, hospitalId: id });
    return this.get(id);
  }

  async createApiKey(hospitalId: string, dto: CreateApiKeyDto) {
    await this.get(hospitalId);
    const { id, key, prefix } = await this.apiKeys.create(hospitalId, dto.name);
    await this.audit.record({ action: 'apikey.create', objectType: 'ApiKey', objectId: id, hospitalId });
    return { id, name: dto.name, prefix, key };
  }

  async createArchive(hospitalId: string, dto: CreateArchiveDto) {
    await this.get(hospitalId);
    const archive = await this.hospitals.createArchive({ hospitalId, ...dto });
    await this.audit.record({ action: 'archive.create', objectType: 'Archive', objectId: archive.id, hospitalId });
    this.archiveSync.start(archive.id);
    return archive;
  }

  async getArchive(id: string) {
    const archive = await this.hospitals.findArchive(id);
    if (!archive) throw new NotFoundException('Archive not found');
    return archive;
  }

  listArchives(hospitalId?: string) {
    return this.hospitals.listArchives(hospitalId);
  }
}
