import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';
import type { ParsedInstance } from './dicom-instance.js';

/** Patient/study attributes kept at study level for QIDO answers (from the first instance). */
const STUDY_LEVEL_TAGS = [
  '00080005', '00080020', '00080030', '00080050', '00080090', '00081030', '00100010', '00100020',
  '00100021', '00100030', '00100040', '0020000D', '00200010',
];

export interface StoredFile {
  storageKey: string;
  sizeBytes: number;
  sha256: string;
  sourceArchiveId: string | null;
}

/**
 * Writes ingested instances into the index. System code (not a caller's request),
 * so it uses the unscoped client; every statement is an upsert keyed on the DICOM
 * identity, so concurrent arrivals of the same study/series never duplicate rows.
 */
@Injectable()
export class IngestRepository {
  constructor(private readonly prisma: PrismaService) {}

  findInstance(hospitalId: string, studyInstanceUid: string, sopInstanceUid: string) {
    return this.prisma.instance.findFirst({
      where: { sopInstanceUid, study: { hospitalId, studyInstanceUid } },
      select: { id: true, studyId: true },
    });
  }

  async index(hospitalId: string, p: ParsedInstance, file: StoredFile): Promise<{ studyId: string; inserted: boolean }> {
    const studyJson = Object.fromEntries(STUDY_LEVEL_TAGS.filter((t) => t in p.json).map((t) => [t, p.json[t]]));
    // Without an issuer, the hospital is the issuer: MRNs are only unique within it.
    const issuer = p.patient.issuer ?? hospitalId;
    const modalities = p.series.modality ? [p.series.modality] : [];
    return this.prisma.$transaction(async (tx) => {
      const [patient] = await tx.$queryRaw<{ id: string }[]>`
        INSERT INTO "Patient" (id, "hospitalId", mrn, issuer, name, "birthDate", sex)
        VALUES (gen_random_uuid(), ${hospitalId}::uuid, ${p.patient.id}, ${issuer}, ${p.patient.name}, ${p.patient.birthDate}, ${p.patient.sex})
        ON CONFLICT ("hospitalId", issuer, mrn) DO UPDATE
          SET name = COALESCE("Patient".name, EXCLUDED.name),
              "birthDate" = COALESCE("Patient"."birthDate", EXCLUDED."birthDate"),
              sex = COALESCE("Patient".sex, EXCLUDED.sex)
        RETURNING id`;
      const [study] = await tx.$queryRaw<{ id: string }[]>`
        INSERT INTO "Study" (id, "hospitalId", "patientId", "studyInstanceUid", "accessionNumber", "studyDate", "studyTime",
                             description, modalities, "bodyPart", "referringPhysician", "institutionName", status,
                             "sourceArchiveId", "dicomJson", "receivedAt", "lastInstanceAt")
        VALUES (gen_random_uuid(), ${hospitalId}::uuid, ${patient.id}::uuid, ${p.studyInstanceUid}, ${p.study.accessionNumber},
                ${p.study.studyDate}, ${p.study.studyTime}, ${p.study.description}, ${modalities}::text[], ${p.series.bodyPart},
                ${p.study.referringPhysician}, ${p.study.institutionName}, 'RECEIVING'::"StudyStatus",
                ${file.sourceArchiveId}::uuid, ${JSON.stringify(studyJson)}::jsonb, now(), now())
        ON CONFLICT ("hospitalId", "studyInstanceUid") DO UPDATE
          SET "lastInstanceAt" = now(),
              modalities = ARRAY(SELECT DISTINCT m FROM unnest("Study".modalities || EXCLUDED.modalities) AS m ORDER BY m),
              "bodyPart" = COALESCE("Study"."bodyPart", EXCLUDED."bodyPart"),
              "accessionNumber" = COALESCE("Study"."accessionNumber", EXCLUDED."accessionNumber")
        RETURNING id`;
      const [series] = await tx.$queryRaw<{ id: string; inserted: boolean }[]>`
        INSERT INTO "Series" (id, "studyId", "seriesInstanceUid", modality, "seriesNumber", description, "bodyPart")
        VALUES (gen_random_uuid(), ${study.id}::uuid, ${p.seriesInstanceUid}, ${p.series.modality}, ${p.series.seriesNumber},
                ${p.series.description}, ${p.series.bodyPart})
        ON CONFLICT ("studyId", "seriesInstanceUid") DO UPDATE SET modality = COALESCE("Series".modality, EXCLUDED.modality)
        RETURNING id, (xmax = 0) AS inserted`;
      const inserted = await tx.$queryRaw<{ id: string }[]>`
        INSERT INTO "Instance" (id, "studyId", "seriesId", "sopInstanceUid", "sopClassUid", "instanceNumber", "transferSyntaxUid",
                                "numberOfFrames", rows, columns, "storageKey", "sizeBytes", sha256, "dicomJson")
        VALUES (gen_random_uuid(), ${study.id}::uuid, ${series.id}::uuid, ${p.sopInstanceUid}, ${p.sopClassUid}, ${p.instanceNumber},
                ${p.transferSyntaxUid}, ${p.numberOfFrames}, ${p.rows}, ${p.columns}, ${file.storageKey}, ${file.sizeBytes},
                ${file.sha256}, ${JSON.stringify(p.json)}::jsonb)
        ON CONFLICT ("studyId", "sopInstanceUid") DO NOTHING
        RETURNING id`;
      if (inserted.length) {
        await tx.$executeRaw`UPDATE "Series" SET "numInstances" = "numInstances" + 1 WHERE id = ${series.id}::uuid`;
        await tx.$executeRaw`
          UPDATE "Study" SET "numInstances" = "numInstances" + 1, "numSeries" = "numSeries" + ${series.inserted ? 1 : 0}
          WHERE id = ${study.id}::uuid`;
      }
      return { studyId: study.id, inserted: inserted.length > 0 };
    });
  }

  async markComplete(studyId: string): Promise<void> {
    await this.prisma.study.updateMany({ where: { id: studyId, status: 'RECEIVING' }, data: { status: 'COMPLETE', completedAt: new Date() } });
  }
}
