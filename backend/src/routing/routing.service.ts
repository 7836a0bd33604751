import { BadRequestException, ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { UserPrincipal } from '../common/principal.js';
import type { Subspecialty } from '../generated/prisma/enums.js';
import { ageInYears, classify, compileRules, studyFacts, type CompiledRuleSet, type RoutingDecision, type StudyAttributes } from './routing-engine.js';
import { RoutingRepository, type RoutingRuleRow } from './routing.repository.js';
import type { CreateRuleDto, TestStudyDto, UpdateRuleDto } from './routing.schemas.js';

/**
 * How long a process keeps a network's compiled rules. Edits made through this process apply
 * at once (the entry is dropped); other processes pick them up within this time.
 */
const RULES_TTL_MS = 5_000;

/** A study as intake holds it: its attributes, its patient and its hospital's network. */
export interface RoutableStudy extends StudyAttributes {
  id: string;
  hospital: { networkId: string };
}

const NO_RULES: CompiledRuleSet = { rules: [] };

@Injectable()
export class RoutingService {
  private readonly logger = new Logger(RoutingService.name);
  private readonly cache = new Map<string, { expiresAt: number; rules: Promise<CompiledRuleSet> }>();

  constructor(
    private readonly repository: RoutingRepository,
    private readonly audit: AuditService,
  ) {}

  // ------------------------------------------------------------ routing

  /** The subspecialty of a study and why; an order's request wins over the rules. */
  async routeStudy(study: RoutableStudy, requested: Subspecialty | null): Promise<RoutingDecision> {
    if (requested) return classify(NO_RULES, studyFacts(study, requested));
    const rules = await this.ruleSet(study.hospital.networkId);
    const json = (study.dicomJson ?? {}) as Record<string, unknown>;
    const missing = !('00081032' in json) || (!study.patient.birthDate && !('00101010' in json));
    const dicomJson = missing ? { ...(await this.repository.instanceRoutingTags(study.id)), ...json } : json;
    return classify(rules, studyFacts({ ...study, dicomJson }, null));
  }

  /** Gives every network without rules the default set (at boot). */
  async ensureDefaultsForEveryNetwork(): Promise<void> {
    for (const networkId of await this.repository.networkIds()) {
      if (await this.repository.ensureDefaults(networkId)) this.logger.log(`network ${networkId}: default routing rules created`);
    }
  }

  /** The network's enabled rules, compiled, cached per process (a network without rules gets the defaults). */
  private ruleSet(networkId: string): Promise<CompiledRuleSet> {
    const hit = this.cache.get(networkId);
    if (hit && hit.expiresAt > Date.now()) return hit.rules;
    // The promise is cached at once so concurrent intake jobs share one load.
    const rules = this.rules(networkId).then((rows) =>
      compileRules(rows, (rule, error) => this.logger.warn(`routing rule '${rule.name}' (${rule.id}) skipped: invalid pattern: ${error}`)),
    );
    const entry = { expiresAt: Date.now() + RULES_TTL_MS, rules };
    this.cache.set(networkId, entry);
    rules.catch(() => {
      if (this.cache.get(networkId) === entry) this.cache.delete(networkId);
    });
    return rules;
  }

  private async rules(networkId: string): Promise<RoutingRuleRow[]> {
    const rows = await this.repository.list(networkId);
    if (rows.length > 0) return rows;
    await this.repository.ensureDefaults(networkId);
    return this.repository.list(networkId);
  }

  private changed(networkId: string): void {
    this.cache.delete(networkId);
  }

  // ------------------------------------------------------------ administration

  list(admin: UserPrincipal): Promise<RoutingRuleRow[]> {
    return this.rules(admin.networkId);
  }

  async create(admin: UserPrincipal, dto: CreateRuleDto): Promise<RoutingRuleRow> {
    const { rank, ...data } = dto;
    await this.rules(admin.networkId); // a first rule is added to the defaults, not instead of them
    const rule = await this.repository.create(admin.networkId, data, rank);
    this.changed(admin.networkId);
    await this.audit.record({ action: 'routing.rule.create', objectType: 'RoutingRule', objectId: rule.id, detail: { rule: summary(rule) } });
    return rule;
  }

  async update(admin: UserPrincipal, id: string, dto: UpdateRuleDto): Promise<RoutingRuleRow> {
    const { rank, ...changes } = dto;
    const result = await this.repository.update(admin.networkId, id, changes, rank, (before) => {
      const min = changes.minPatientAgeYears !== undefined ? changes.minPatientAgeYears : before.minPatientAgeYears;
      const max = changes.maxPatientAgeYears !== undefined ? changes.maxPatientAgeYears : before.maxPatientAgeYears;
      if (min !== null && max !== null && min > max) {
        throw new BadRequestException([`minPatientAgeYears (${min}) must not be greater than maxPatientAgeYears (${max})`]);
      }
    });
    if (!result) throw new NotFoundException('Routing rule not found');
    this.changed(admin.networkId);
    const fields = Object.keys(dto) as (keyof UpdateRuleDto)[];
    await this.audit.record({
      action: 'routing.rule.update',
      objectType: 'RoutingRule',
      objectId: id,
      detail: { before: pick(result.before, fields), after: pick(result.after, fields) },
    });
    return result.after;
  }

  async remove(admin: UserPrincipal, id: string): Promise<void> {
    const result = await this.repository.remove(admin.networkId, id);
    if (result === 'not-found') throw new NotFoundException('Routing rule not found');
    if (result === 'last-rule') {
      throw new ConflictException('This is the last routing rule; a network without rules gets the defaults again. Disable it instead.');
    }
    this.changed(admin.networkId);
    await this.audit.record({ action: 'routing.rule.delete', objectType: 'RoutingRule', objectId: id, detail: { rule: summary(result) } });
  }

  async resetDefaults(admin: UserPrincipal): Promise<RoutingRuleRow[]> {
    const rules = await this.repository.resetToDefaults(admin.networkId);
    this.changed(admin.networkId);
    await this.audit.record({ action: 'routing.rules.reset', objectType: 'RoutingRule', detail: { rules: rules.length } });
    return rules;
  }

  /** "Test a study": what the admin's current rules would decide for these attributes. */
  async test(admin: UserPrincipal, dto: TestStudyDto): Promise<RoutingDecision> {
    const today = new Date().toISOString().slice(0, 10);
    const patientAgeYears = dto.patientAgeYears ?? (dto.birthDate ? ageInYears(dto.birthDate, dto.studyDate ?? today) : null);
    if (dto.birthDate && patientAgeYears === null) throw new BadRequestException(['birthDate: must not be after studyDate']);
    const rules = dto.requestedSubspecialty ? NO_RULES : await this.ruleSet(admin.networkId);
    return classify(rules, {
      requestedSubspecialty: dto.requestedSubspecialty,
      modalities: dto.modalities,
      bodyPart: dto.bodyPart,
      description: dto.description,
      procedureCodes: dto.procedureCodes.map((c) =>
        typeof c === 'string' ? { value: c, scheme: null, meaning: null } : { value: c.value ?? null, scheme: c.scheme ?? null, meaning: c.meaning ?? null },
      ),
      patientAgeYears,
    });
  }
}

const summary = (r: RoutingRuleRow) => ({ name: r.name, rank: r.rank, subspecialty: r.subspecialty, enabled: r.enabled });

function pick<T extends object>(row: T, keys: readonly PropertyKey[]): Partial<T> {
  return Object.fromEntries(Object.entries(row).filter(([k]) => keys.includes(k))) as Partial<T>;
}
