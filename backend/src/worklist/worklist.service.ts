import { Injectable, NotFoundException } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { UserPrincipal } from '../common/principal.js';
import { UsersRepository } from '../users/users.repository.js';
import { WorklistRepository, type WorklistRow } from './worklist.repository.js';

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

  private async subspecialtiesOf(user: UserPrincipal) {
    return (await this.users.findById(user.userId))?.subspecialties ?? [];
  }
}
