import { ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { UserPrincipal } from '../common/principal.js';
import { UsersRepository } from '../users/users.repository.js';
import { WorklistRepository, type WorklistRow } from './worklist.repository.js';

/** How long a claim holds without the viewer's heartbeat (renewal comes with the viewer). */
const CLAIM_LEASE_MS = 15 * 60_000;

export function presentWorklistItem(w: WorklistRow) {
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
    receivedAt: w.receivedAt,
    dueAt: w.dueAt,
    state: w.state,
    claimedBy: w.claimedById,
    reportStatus: w.report?.status ?? null,
    version: w.version,
  };
}

@Injectable()
export class WorklistService {
  constructor(
    private readonly worklist: WorklistRepository,
    private readonly audit: AuditService,
    private readonly users: UsersRepository,
  ) {}

  async list(user: UserPrincipal, limit: number, offset: number) {
    // Radiologists see their subspecialties plus general work; admins see everything in scope.
    const subspecialties = user.role === 'RADIOLOGIST' ? await this.subspecialtiesOf(user) : null;
    const { items, total } = await this.worklist.listOpen(subspecialties, limit, offset);
    await this.audit.record({
      action: 'worklist.read',
      objectType: 'WorklistItem',
      patientIds: items.map((i) => i.study.patient.id),
      detail: { count: items.length, limit, offset },
    });
    return { items: items.map(presentWorklistItem), total };
  }

  async get(id: string) {
    const item = await this.worklist.find(id);
    if (!item) throw new NotFoundException('Worklist item not found');
    await this.audit.record({
      action: 'worklist.item.read',
      objectType: 'WorklistItem',
      objectId: id,
      patientIds: [item.study.patient.id],
      hospitalId: item.hospitalId,
    });
    return presentWorklistItem(item);
  }

  /** Exactly one reader wins; everyone else gets 409 while the claim (lease) holds. */
  async claim(user: UserPrincipal, id: string) {
    if (user.role !== 'RADIOLOGIST') throw new ForbiddenException('Only radiologists claim cases');
    const subspecialties = await this.subspecialtiesOf(user);
    if (await this.worklist.claim(id, user.userId, subspecialties, CLAIM_LEASE_MS)) {
      await this.audit.record({ action: 'worklist.claim', objectType: 'WorklistItem', objectId: id });
      return this.get(id);
    }
    const item = await this.worklist.find(id);
    if (!item) throw new NotFoundException('Worklist item not found');
    if (item.subspecialty !== 'GENERAL' && !subspecialties.includes(item.subspecialty)) {
      throw new ForbiddenException(`This case is routed to ${item.subspecialty.toLowerCase()}, which is not among your subspecialties`);
    }
    throw new ConflictException(item.state === 'CLAIMED' ? 'Another radiologist is reading this case' : `This case is ${item.state.toLowerCase()}`);
  }

  async release(user: UserPrincipal, id: string) {
    if (await this.worklist.release(id, user.userId, user.role === 'ADMIN')) {
      await this.audit.record({ action: 'worklist.release', objectType: 'WorklistItem', objectId: id });
      return this.get(id);
    }
    const item = await this.worklist.find(id);
    if (!item) throw new NotFoundException('Worklist item not found');
    throw new ConflictException(item.state === 'CLAIMED' ? 'Only the radiologist reading this case can release it' : 'This case is not claimed');
  }

  private async subspecialtiesOf(user: UserPrincipal) {
    return (await this.users.findById(user.userId))?.subspecialties ?? [];
  }
}
