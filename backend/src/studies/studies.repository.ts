import { Injectable } from '@nestjs/common';
import type { Prisma } from '../generated/prisma/client.js';
import { TenancyService } from '../tenancy/tenancy.service.js';

const STUDY_SUMMARY = {
  id: true,
  studyInstanceUid: true,
  accessionNumber: true,
  hospitalId: true,
  studyDate: true,
  studyTime: true,
  description: true,
  modalities: true,
  bodyPart: true,
  numSeries: true,
  numInstances: true,
  status: true,
  receivedAt: true,
  hospital: { select: { name: true } },
  patient: { select: { id: true, mrn: true, issuer: true, name: true, birthDate: true, sex: true } },
  worklistItem: { select: { id: true, priority: true, state: true, dueAt: true } },
} satisfies Prisma.StudySelect;

export type StudySummaryRow = Prisma.StudyGetPayload<{ select: typeof STUDY_SUMMARY }>;

export interface StudySearch {
  patientName?: string;
  patientMrn?: string;
  accessionNumber?: string;
  hospitalId?: string;
  limit: number;
  offset: number;
}

/** Studies read through the caller's scope (see tenancy/). */
@Injectable()
export class StudiesRepository {
  constructor(private readonly tenancy: TenancyService) {}

  async search(q: StudySearch) {
    const db = await this.tenancy.db();
    const where: Prisma.StudyWhereInput = {
      hospitalId: q.hospitalId,
      accessionNumber: q.accessionNumber,
      patient:
        q.patientName || q.patientMrn
          ? { name: q.patientName ? { contains: q.patientName, mode: 'insensitive' } : undefined, mrn: q.patientMrn }
          : undefined,
    };
    const [items, total] = await Promise.all([
      db.study.findMany({ where, select: STUDY_SUMMARY, orderBy: [{ receivedAt: 'desc' }, { id: 'asc' }], take: q.limit, skip: q.offset }),
      db.study.count({ where }),
    ]);
    return { items, total };
  }

  async findByUid(studyInstanceUid: string) {
    const db = await this.tenancy.db();
    return db.study.findFirst({
      where: { studyInstanceUid },
      select: {
        ...STUDY_SUMMARY,
        series: {
          select: { seriesInstanceUid: true, modality: true, seriesNumber: true, description: true, bodyPart: true, numInstances: true },
          orderBy: [{ seriesNumber: 'asc' }, { seriesInstanceUid: 'asc' }],
        },
      },
    });
  }
}
