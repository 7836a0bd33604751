import { ConflictException, ForbiddenException, Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { AssignmentService, type CaseSummary } from '../assignment/assignment.service.js';
import { readableSubspecialties } from '../assignment/eligibility.js';
import { AuditService } from '../audit/audit.service.js';
import { AccountCache } from '../cache/account-cache.js';
import type { UserPrincipal } from '../common/principal.js';
import type { WorklistItemView } from '../contracts/worklist.js';
import { WorklistEvents } from '../realtime/worklist-events.service.js';
import type { AccessScope } from '../tenancy/access-scope.js';
import { TenancyService } from '../tenancy/tenancy.service.js';
import { WorklistCache, type WorklistPage } from './worklist-cache.js';
import { WorklistRepository, type Claimed, type WorklistFilter, type WorklistRow } from './worklist.repository.js';

export function presentWorklistItem(w: WorklistRow): WorklistItemView {
  return {
    id: w.id,
    studyInstanceUid: w.study.studyInstanceUid,
    accessionNumber: w.study.accessionNumber,
    hospitalId: w.hospitalId,
    hospitalName: w.hospital.name,
    patientName: w.study.patient.name,
    patientMrn: w.study.patient.mrn,
    modality: w.study.modalities[0] ?? null,
    modalities: w.study.modalities,
    description: w.study.description,
    bodyPart: w.study.bodyPart,
    indication: w.order?.indication ?? null,
    priority: w.priority,
    subspecialty: w.subspecialty,
    routingReason: w.routingReason,
    receivedAt: w.receivedAt.toISOString(),
    dueAt: w.dueAt.toISOString(),
    state: w.state,
    claimedBy: w.claimedById,
    claimedByName: w.claimedBy?.displayName ?? null,
    claimSource: w.claimSource,
    leaseExpiresAt: w.leaseExpiresAt?.toISOString() ?? null,
    breachedAt: w.breachedAt?.toISOString() ?? null,
    reportStatus: w.report?.status ?? null,
    version: w.version,
  };
}

/**
 * A scope's hospitals sorted, and as page keys begin: computed once per scope object, which
 * TenancyService reuses while it is cached, rather than on every read. The key is a complete JSON
 * array, so what is appended to it cannot blur the boundary.
 */
const sortedScopes = new WeakMap<AccessScope, { hospitalIds: readonly string[]; key: string }>();
function sortedScope(scope: AccessScope): { hospitalIds: readonly string[]; key: string } {
  let sorted = sortedScopes.get(scope);
  if (!sorted) {
    const hospitalIds = [...scope.hospitalIds].sort();
    sortedScopes.set(scope, (sorted = { hospitalIds, key: JSON.stringify(hospitalIds) }));
  }
  return sorted;
}

const summary = (w: WorklistRow): CaseSummary => ({ id: w.id, priority: w.priority, modalities: w.study.modalities, hospitalName: w.hospital.name });

export type ListQuery = Omit<WorklistFilter, 'claimedById'> & { mine?: boolean };

@Injectable()
export class WorklistService {
  constructor(
    private readonly worklist: WorklistRepository,
    private readonly audit: AuditService,
    private readonly accounts: AccountCache,
    private readonly events: WorklistEvents,
    private readonly assignment: AssignmentService,
    private readonly tenancy: TenancyService,
    private readonly cache: WorklistCache,
  ) {}

  /**
   * The page as JSON, from the cache of pages per eligibility when it holds it (see WorklistCache);
   * each request is audited with the patients on the page, cached or not.
   */
  async list(user: UserPrincipal, q: ListQuery, limit: number, offset: number): Promise<WorklistPage> {
    // Radiologists see their subspecialties plus general work; admins see everything in scope.
    const readable = user.role === 'RADIOLOGIST' ? await this.readableBy(user) : null;
    const { mine, ...rest } = q;
    const filter: WorklistFilter = { ...rest, claimedById: mine ? user.userId : undefined };
    const { hospitalIds: scope, key: scopeKey } = sortedScope(await this.tenancy.scope());
    // Everything the page depends on: who may see what, and what was asked for.
    const key = scopeKey + JSON.stringify([
      readable && [...readable].sort(),
      filter.hospitalId ?? null,
      filter.modality ?? null,
      filter.priority ? [...filter.priority].sort() : null,
      filter.subspecialty ? [...filter.subspecialty].sort() : null,
      filter.state ? [...filter.state].sort() : null,
      filter.claimedById ?? null,
      filter.sort,
      limit,
      offset,
    ]);
    const hospitals = filter.hospitalId ? scope.filter((h) => h === filter.hospitalId) : scope;
    const subspecialties = readable && filter.subspecialty ? readable.filter((s) => filter.subspecialty!.includes(s)) : (readable ?? filter.subspecialty ?? null);
    const page = await this.cache.page(key, hospitals, subspecialties, async () => {
      const { patientIds, ...rest } = await this.worklist.list(scope, readable, filter, limit, offset);
      // Its patients stored once per fill: each read's event names them by the set's digest.
      return { ...rest, patientSet: await this.audit.patientSet(patientIds) };
    });
    await this.audit.record({
      action: 'worklist.read',
      objectType: 'WorklistItem',
      patientSet: page.patientSet,
      detail: { count: page.count, limit, offset },
    });
    return page;
  }

  async get(id: string) {
    const item = await this.worklist.find(id);
    if (!item) throw new NotFoundException('Worklist item not found');
    return this.show(item);
  }

  /** Patient data leaves only after its read is written down. */
  private async show(item: WorklistRow) {
    await this.audit.record({
      action: 'worklist.item.read',
      objectType: 'WorklistItem',
      objectId: item.id,
      patientIds: [item.study.patient.id],
      hospitalId: item.hospitalId,
    });
    return presentWorklistItem(item);
  }

  /**
   * Exactly one reader wins; everyone else gets 409 while the claim (lease) holds.
   *
   * Hospitals that require "Next case" (no cherry-picking): a direct claim of their case is
   * allowed only when it is what Next case could hand this reader now, i.e. no other open case
   * they may take (any hospital in their scope, their subspecialties or general, not declined by
   * them) has a more urgent priority class, or the same class and an earlier due time. Equally
   * urgent cases may be taken in any order; the current claimant may always claim again.
   */
  async claim(user: UserPrincipal, id: string) {
    if (user.role !== 'RADIOLOGIST') throw new ForbiddenException('Only radiologists claim cases');
    const readable = await this.readableBy(user);
    const item = await this.worklist.find(id);
    if (!item) throw new NotFoundException('Worklist item not found');
    if (!readable.includes(item.subspecialty)) {
      throw new ForbiddenException(`This case is routed to ${item.subspecialty.toLowerCase()}, which is not among your subspecialties`);
    }
    if (item.hospital.requireNextCase && item.claimedById !== user.userId && (await this.worklist.moreUrgentWaiting(item, user.userId, readable))) {
      throw new ConflictException(`${item.hospital.name}'s cases are taken with Next case: a more urgent case is waiting for you`);
    }
    const claimed = await this.worklist.claim(id, user.userId, readable, this.assignment.claimLeaseMs);
    if (!claimed) {
      const current = await this.worklist.find(id);
      if (!current) throw new NotFoundException('Worklist item not found');
      throw new ConflictException(current.state === 'CLAIMED' ? 'Another radiologist is reading this case' : `This case is ${current.state.toLowerCase()}`);
    }
    await this.audit.record({ action: 'worklist.claim', objectType: 'WorklistItem', objectId: id, hospitalId: item.hospitalId });
    await this.afterClaim(claimed);
    return this.get(id);
  }

  /** Next case: the most urgent open case the reader may take, claimed for them; null when none waits. */
  async next(user: UserPrincipal) {
    if (user.role !== 'RADIOLOGIST') throw new ForbiddenException('Only radiologists take cases');
    const claimed = await this.worklist.next(user.userId, await this.readableBy(user), this.assignment.claimLeaseMs);
    if (!claimed) return null;
    await this.audit.record({ action: 'worklist.next', objectType: 'WorklistItem', objectId: claimed.id });
    await this.afterClaim(claimed);
    return this.get(claimed.id);
  }

  /** The viewer's heartbeat: the claimant keeps the case for another lease; 409 once the claim is lost. */
  async heartbeat(user: UserPrincipal, id: string) {
    const renewed = await this.worklist.renew(id, user.userId, this.assignment.claimLeaseMs);
    if (!renewed) {
      const item = await this.worklist.find(id);
      if (!item) throw new NotFoundException('Worklist item not found');
      throw new ConflictException(
        item.state === 'CLAIMED' ? 'Your claim on this case was lost: another radiologist holds it' : `Your claim on this case was lost: it is ${item.state.toLowerCase()}`,
      );
    }
    // A renewal changes only the lease's end on the case's row.
    await this.afterClaim(renewed, false);
    return { leaseExpiresAt: renewed.leaseExpiresAt.toISOString() };
  }

  async release(user: UserPrincipal, id: string) {
    if (await this.worklist.release(id, user.userId, user.role === 'ADMIN')) {
      await this.audit.record({ action: 'worklist.release', objectType: 'WorklistItem', objectId: id });
      return this.returned(id);
    }
    const item = await this.worklist.find(id);
    if (!item) throw new NotFoundException('Worklist item not found');
    throw new ConflictException(item.state === 'CLAIMED' ? 'Only the radiologist reading this case can release it' : 'This case is not claimed');
  }

  /** The claimant hands the case back and is not offered it again; auto-assignment looks for someone else. */
  async decline(user: UserPrincipal, id: string) {
    if (await this.worklist.decline(id, user.userId)) {
      await this.audit.record({ action: 'worklist.decline', objectType: 'WorklistItem', objectId: id });
      return this.returned(id);
    }
    const item = await this.worklist.find(id);
    if (!item) throw new NotFoundException('Worklist item not found');
    throw new ConflictException(item.state === 'CLAIMED' ? 'Only the radiologist holding this case can decline it' : 'This case is not assigned to you');
  }

  /** An admin gives the case to an eligible reader (taking it from whoever held it). */
  async reassign(admin: UserPrincipal, id: string, userId: string) {
    const item = await this.worklist.find(id);
    if (!item) throw new NotFoundException('Worklist item not found');
    if (item.state !== 'UNREAD' && item.state !== 'CLAIMED') throw new ConflictException(`This case is ${item.state.toLowerCase()}; only open cases are reassigned`);
    const why = await this.assignment.whyIneligible(userId, admin.networkId, {
      hospitalId: item.hospitalId,
      hospitalName: item.hospital.name,
      jurisdiction: item.hospital.jurisdiction,
      subspecialty: item.subspecialty,
    });
    if (why === undefined) throw new NotFoundException('User not found');
    if (why) throw new UnprocessableEntityException(why);
    const claimed = await this.worklist.reassign(item, userId, this.assignment.claimLeaseMs);
    if (!claimed) throw new ConflictException('This case changed while you were reassigning it; reload and try again');
    await this.audit.record({ action: 'worklist.reassign', objectType: 'WorklistItem', objectId: id, hospitalId: item.hospitalId, detail: { from: item.claimedById, to: userId } });
    await this.afterClaim(claimed);
    const by = `Reassigned by ${admin.displayName}.`;
    if (item.claimedById && item.claimedById !== userId) await this.assignment.notifyUnassigned(item.claimedById, summary(item), by);
    await this.assignment.notifyAssigned(userId, summary(item), by);
    return this.get(id);
  }

  /** Every claim-like write: its lease ends by job unless renewed, and open worklists hear of it. */
  private async afterClaim(claimed: Claimed, moves = true) {
    await this.assignment.scheduleLeaseEnd(claimed.id, claimed.leaseExpiresAt);
    await this.events.changed([claimed.id], undefined, moves);
  }

  /** A case back on the list: re-offered if its hospital auto-assigns, published, and shown. */
  private async returned(id: string) {
    const item = await this.worklist.find(id);
    if (!item) throw new NotFoundException('Worklist item not found');
    const { autoAssign, autoAssignSubspecialties } = item.hospital;
    await this.assignment.offerAgain({ id, version: item.version, subspecialty: item.subspecialty, autoAssign, autoAssignSubspecialties });
    await this.events.changed([id]);
    return this.show(item);
  }

  /** From the account the request was authenticated with (AccountCache): no second read. */
  private async readableBy(user: UserPrincipal) {
    return readableSubspecialties((await this.accounts.find(user.userId))?.subspecialties ?? []);
  }
}
