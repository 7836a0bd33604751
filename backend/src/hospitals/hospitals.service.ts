import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { ArchiveSyncScheduler } from '../archive-sync/archive-sync.scheduler.js';
import { AssignmentService } from '../assignment/assignment.service.js';
import { autoAssigns } from '../assignment/eligibility.js';
import { AuditService } from '../audit/audit.service.js';
import { ApiKeyService } from '../auth/api-key.service.js';
import { InvalidationBus } from '../cache/invalidation-bus.js';
import type { UserPrincipal } from '../common/principal.js';
import { isUniqueViolation } from '../common/prisma-errors.js';
import { TenancyService } from '../tenancy/tenancy.service.js';
import { HospitalsRepository } from './hospitals.repository.js';
import type { CreateApiKeyDto, CreateArchiveDto, CreateHospitalDto, UpdateHospitalDto } from './hospitals.schemas.js';

type HospitalView = NonNullable<Awaited<ReturnType<HospitalsRepository['find']>>>;

/** Cases offered to auto-assignment at once (each is one Redis command). */
const OFFER_CHUNK = 200;

@Injectable()
export class HospitalsService {
  constructor(
    private readonly hospitals: HospitalsRepository,
    private readonly apiKeys: ApiKeyService,
    private readonly tenancy: TenancyService,
    private readonly audit: AuditService,
    private readonly archiveSync: ArchiveSyncScheduler,
    private readonly assignment: AssignmentService,
    private readonly bus: InvalidationBus,
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
      if (isUniqueViolation(err)) throw await this.aeTitleConflict(unique);
      throw err;
    }
    this.tenancy.invalidateScope();
    await this.audit.record({ action: 'hospital.create', objectType: 'Hospital', objectId: id, hospitalId: id });
    return this.get(id);
  }

  /**
   * Changes a hospital's settings (a foreign or unknown hospital is 404). SLA targets apply to
   * cases that arrive afterwards (open cases keep their due times). Turning auto-assignment on,
   * or widening it to more subspecialties, offers the cases already waiting that it now covers.
   */
  async update(admin: UserPrincipal, id: string, dto: UpdateHospitalDto) {
    const before = await this.get(id);
    const { aeTitles, ...settings } = dto;
    const wanted = aeTitles && [...new Set(aeTitles)];
    const titles = wanted && { keep: wanted, add: wanted.filter((t) => !before.aeTitles.includes(t)) };
    try {
      await this.hospitals.update(id, admin.networkId, settings, titles);
    } catch (err) {
      if (isUniqueViolation(err) && titles) throw await this.aeTitleConflict(titles.add, id);
      throw err;
    }
    const after = await this.get(id);
    // Worklist pages show the hospital's name: cached ones must not keep the old one.
    if (after.name !== before.name) await this.bus.publish('worklist', { hospitalIds: [id] });
    const offered = await this.offerWaitingCases(before, after);
    await this.audit.record({ action: 'hospital.update', objectType: 'Hospital', objectId: id, hospitalId: id, detail: { changed: changes(before, after), offered } });
    return after;
  }

  /**
   * Offers to auto-assignment the waiting cases the new settings cover and the old ones did not.
   * Through AssignmentService.offerAgain, whose job id (case + version) makes a repeat a no-op.
   */
  private async offerWaitingCases(before: HospitalView, after: HospitalView): Promise<number> {
    if (!after.autoAssign) return 0;
    const cases = (await this.hospitals.waitingCases(after.id)).filter((c) => autoAssigns(after, c.subspecialty) && !autoAssigns(before, c.subspecialty));
    for (let i = 0; i < cases.length; i += OFFER_CHUNK) {
      await Promise.all(
        cases.slice(i, i + OFFER_CHUNK).map((c) => this.assignment.offerAgain({ ...c, autoAssign: after.autoAssign, autoAssignSubspecialties: after.autoAssignSubspecialties })),
      );
    }
    return cases.length;
  }

  /** 409 naming the AE titles another hospital holds. */
  private async aeTitleConflict(aeTitles: readonly string[], exceptHospitalId?: string) {
    const taken = await this.hospitals.aeTitlesTaken(aeTitles, exceptHospitalId);
    if (taken.length === 0) return new ConflictException('An AE title was taken by another hospital at the same time; try again');
    return new ConflictException(
      taken.length === 1 ? `AE title ${taken[0]} already belongs to another hospital` : `AE titles ${taken.join(', ')} already belong to another hospital`,
    );
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

/** What an update changed, field by field (settings, not patient data), for the audit trail. */
function changes(before: HospitalView, after: HospitalView): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of Object.keys(after) as (keyof HospitalView)[]) {
    const [from, to] = [before[key], after[key]];
    if (JSON.stringify(from) !== JSON.stringify(to)) out[key] = { from, to };
  }
  return out;
}
