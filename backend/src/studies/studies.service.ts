import { Injectable, NotFoundException } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { StudiesRepository, type StudySearch, type StudySummaryRow } from './studies.repository.js';

export function presentStudy(s: StudySummaryRow) {
  const { hospital, patient, worklistItem, ...rest } = s;
  return {
    ...rest,
    hospitalName: hospital.name,
    patientId: patient.id,
    patientName: patient.name,
    patientMrn: patient.mrn,
    patientIssuer: patient.issuer,
    patientBirthDate: patient.birthDate,
    patientSex: patient.sex,
    worklistItemId: worklistItem?.id ?? null,
    priority: worklistItem?.priority ?? null,
    state: worklistItem?.state ?? null,
    dueAt: worklistItem?.dueAt ?? null,
  };
}

@Injectable()
export class StudiesService {
  constructor(
    private readonly studies: StudiesRepository,
    private readonly audit: AuditService,
  ) {}

  async search(q: StudySearch) {
    const { items, total } = await this.studies.search(q);
    await this.audit.record({
      action: 'study.search',
      objectType: 'Study',
      patientIds: items.map((s) => s.patient.id),
      detail: { count: items.length, query: { ...q } },
    });
    return { items: items.map(presentStudy), total };
  }

  async get(studyInstanceUid: string) {
    const study = await this.studies.findByUid(studyInstanceUid);
    if (!study) {
      await this.audit.record({ action: 'study.read', objectType: 'Study', objectId: studyInstanceUid, outcome: 'FAILURE', detail: { reason: 'not found in scope' } });
      throw new NotFoundException('Study not found');
    }
    await this.audit.record({
      action: 'study.read',
      objectType: 'Study',
      objectId: study.studyInstanceUid,
      patientIds: [study.patient.id],
      hospitalId: study.hospitalId,
    });
    return { ...presentStudy(study), series: study.series };
  }
}
