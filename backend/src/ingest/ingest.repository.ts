import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { PrismaService } from '../database/prisma.service.js';
import type { ParsedInstance } from './dicom-instance.js';

/** Patient/study attributes kept at study level for QIDO answers (from the first instance). */
const STUDY_LEVEL_TAGS = [
  '00080005', '00080020', '00080030', '00080050', '00080090', '00081030', '00100010', '00100020',
  '00100021', '00100030', '00100040', '0020000D', '00200010',
];

/** Instances written in one transaction at most. */
const MAX_BATCH = 64;

export interface StoredFile {
  storageKey: string;
  sizeBytes: number;
  sha256: string;
  sourceArchiveId: string | null;
}

interface PendingIndex {
  hospitalId: string;
  p: ParsedInstance;
  file: StoredFile;
  resolve: (r: { studyId: string; inserted: boolean }) => void;
  reject: (err: unknown) => void;
}

const key = (...parts: (string | null)[]) => parts.join('\u0000');
const byKey = <V>(m: Map<string, V>): V[] => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);

const FIND_INSTANCES = `
  SELECT x.h::text AS h, x.study, x.sop, i.id::text, i."studyId"::text AS "studyId"
  FROM jsonb_to_recordset($1::jsonb) AS x(h uuid, study text, sop text)
  JOIN "Study" s ON s."hospitalId" = x.h AND s."studyInstanceUid" = x.study
  JOIN "Instance" i ON i."studyId" = s.id AND i."sopInstanceUid" = x.sop`;

/**
 * A whole batch in one statement: patients, studies, series and instances upserted in
 * dependency order, each joined to the rows the previous step returned (by natural key),
 * each inserted in key order so that concurrent writers lock rows in the same order.
 * Returns the studies, the series (with whether they are new) and the instances inserted.
 */
const UPSERT_BATCH = `
WITH p AS (
  INSERT INTO "Patient" (id, "hospitalId", mrn, issuer, name, "birthDate", sex)
  SELECT gen_random_uuid(), x.h, x.mrn, x.issuer, x.name, x."birthDate", x.sex
  FROM jsonb_to_recordset($1::jsonb) AS x(h uuid, mrn text, issuer text, name text, "birthDate" text, sex text, n int)
  ORDER BY x.n
  ON CONFLICT ("hospitalId", issuer, mrn) DO UPDATE
    SET name = COALESCE("Patient".name, EXCLUDED.name),
        "birthDate" = COALESCE("Patient"."birthDate", EXCLUDED."birthDate"),
        sex = COALESCE("Patient".sex, EXCLUDED.sex)
  RETURNING id, "hospitalId", issuer, mrn
), s AS (
  INSERT INTO "Study" (id, "hospitalId", "patientId", "studyInstanceUid", "accessionNumber", "studyDate", "studyTime",
                       description, modalities, "bodyPart", "referringPhysician", "institutionName", status,
                       "sourceArchiveId", "dicomJson", "receivedAt", "lastInstanceAt")
  SELECT gen_random_uuid(), x.h, p.id, x.uid, x.accession, x."studyDate", x."studyTime", x.description, x.modalities,
         x."bodyPart", x.referring, x.institution, 'RECEIVING'::"StudyStatus", x.archive, x.json, now(), now()
  FROM jsonb_to_recordset($2::jsonb) AS x(h uuid, issuer text, mrn text, uid text, accession text, "studyDate" text,
         "studyTime" text, description text, modalities text[], "bodyPart" text, referring text, institution text, archive uuid,
         json jsonb, n int)
  JOIN p ON p."hospitalId" = x.h AND p.issuer = x.issuer AND p.mrn = x.mrn
  ORDER BY x.n
  ON CONFLICT ("hospitalId", "studyInstanceUid") DO UPDATE
    SET "lastInstanceAt" = now(),
        modalities = ARRAY(SELECT DISTINCT m FROM unnest("Study".modalities || EXCLUDED.modalities) AS m ORDER BY m),
        "bodyPart" = COALESCE("Study"."bodyPart", EXCLUDED."bodyPart"),
        "accessionNumber" = COALESCE("Study"."accessionNumber", EXCLUDED."accessionNumber")
  RETURNING id, "hospitalId", "studyInstanceUid"
), se AS (
  INSERT INTO "Series" (id, "studyId", "seriesInstanceUid", modality, "seriesNumber", description, "bodyPart")
  SELECT gen_random_uuid(), s.id, x.uid, x.modality, x."seriesNumber", x.description, x."bodyPart"
  FROM jsonb_to_recordset($3::jsonb) AS x(h uuid, study text, uid text, modality text, "seriesNumber" int,
         description text, "bodyPart" text, n int)
  JOIN s ON s."hospitalId" = x.h AND s."studyInstanceUid" = x.study
  ORDER BY x.n
  ON CONFLICT ("studyId", "seriesInstanceUid") DO UPDATE SET modality = COALESCE("Series".modality, EXCLUDED.modality)
  RETURNING id, "studyId", "seriesInstanceUid", (xmax = 0) AS inserted
), i AS (
  INSERT INTO "Instance" (id, "studyId", "seriesId", "sopInstanceUid", "sopClassUid", "instanceNumber", "transferSyntaxUid",
                          "numberOfFrames", rows, columns, "storageKey", "sizeBytes", sha256, "dicomJson")
  SELECT gen_random_uuid(), s.id, se.id, x.sop, x."sopClass", x."instanceNumber", x.ts, x.frames, x.rows, x.columns,
         x.key, x.size, x.sha256, x.json
  FROM jsonb_to_recordset($4::jsonb) AS x(h uuid, study text, series text, sop text, "sopClass" text,
         "instanceNumber" int, ts text, frames int, rows int, columns int, key text, size bigint, sha256 text, json jsonb, n int)
  JOIN s ON s."hospitalId" = x.h AND s."studyInstanceUid" = x.study
  JOIN se ON se."studyId" = s.id AND se."seriesInstanceUid" = x.series
  ORDER BY x.n
  ON CONFLICT ("studyId", "sopInstanceUid") DO NOTHING
  RETURNING "studyId", "seriesId", "sopInstanceUid"
)
SELECT 'study' AS kind, id::text AS id, "hospitalId"::text AS a, "studyInstanceUid" AS b, NULL::boolean AS inserted FROM s
UNION ALL SELECT 'series', id::text, "studyId"::text, "seriesInstanceUid", inserted FROM se
UNION ALL SELECT 'instance', "seriesId"::text, "studyId"::text, "sopInstanceUid", NULL FROM i`;

/** The counters of the series and studies that received instances (rows written by the previous statement). */
const COUNT = `
WITH se AS (
  UPDATE "Series" SET "numInstances" = "Series"."numInstances" + x.n
  FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, n int) WHERE "Series".id = x.id
)
UPDATE "Study" SET "numInstances" = "Study"."numInstances" + x.n, "numSeries" = "Study"."numSeries" + x.s
FROM jsonb_to_recordset($2::jsonb) AS x(id uuid, n int, s int) WHERE "Study".id = x.id`;

/**
 * Writes ingested instances into the index. System code (not a caller's request),
 * so it is unscoped; every statement is an upsert keyed on the DICOM identity, so
 * concurrent arrivals of the same study/series never duplicate rows.
 *
 * The per-instance path speaks plain SQL to the connection pool under Prisma: it runs
 * for every instance received, and through the Prisma client the same statements cost
 * several times the CPU (the ingest benchmark's largest cost).
 */
@Injectable()
export class IngestRepository {
  private readonly pending: PendingIndex[] = [];
  private flushing = false;
  private readonly lookups: { h: string; study: string; sop: string; resolve: (r: { id: string; studyId: string } | null) => void; reject: (err: unknown) => void }[] = [];
  private looking = false;

  constructor(private readonly prisma: PrismaService) {}

  /** The instance if the hospital already holds it. Lookups made while one runs share the next query. */
  findInstance(hospitalId: string, studyInstanceUid: string, sopInstanceUid: string): Promise<{ id: string; studyId: string } | null> {
    return new Promise((resolve, reject) => {
      this.lookups.push({ h: hospitalId.toLowerCase(), study: studyInstanceUid, sop: sopInstanceUid, resolve, reject });
      void this.lookup();
    });
  }

  private async lookup(): Promise<void> {
    if (this.looking) return;
    this.looking = true;
    try {
      while (this.lookups.length) {
        const batch = this.lookups.splice(0, 256);
        try {
          const { rows } = await this.prisma.pool.query<{ h: string; study: string; sop: string; id: string; studyId: string }>({
            name: 'ingest-find-instances',
            text: FIND_INSTANCES,
            values: [JSON.stringify(batch.map(({ h, study, sop }) => ({ h, study, sop })))],
          });
          const found = new Map(rows.map((r) => [key(r.h, r.study, r.sop), { id: r.id, studyId: r.studyId }]));
          for (const l of batch) l.resolve(found.get(key(l.h, l.study, l.sop)) ?? null);
        } catch (err) {
          for (const l of batch) l.reject(err);
        }
      }
    } finally {
      this.looking = false;
    }
  }

  /**
   * Indexes one stored instance. Calls that arrive while a batch is being written are
   * written together in the next one (group commit): one transaction and one statement
   * per table for the whole batch instead of a transaction of six statements per
   * instance. A lone call waits for nothing: a batch of one starts at once.
   */
  index(hospitalId: string, p: ParsedInstance, file: StoredFile): Promise<{ studyId: string; inserted: boolean }> {
    return new Promise((resolve, reject) => {
      this.pending.push({ hospitalId: hospitalId.toLowerCase(), p, file, resolve, reject });
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pending.length) {
        const batch = this.pending.splice(0, MAX_BATCH);
        try {
          const results = await this.transaction((db) => this.indexBatch(db, batch));
          batch.forEach((item, i) => item.resolve(results[i]));
        } catch (err) {
          if (batch.length === 1) {
            batch[0].reject(err);
            continue;
          }
          // One bad row must not cost the others: write them one by one.
          for (const item of batch) {
            await this.transaction((db) => this.indexBatch(db, [item])).then(([r]) => item.resolve(r), item.reject);
          }
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async transaction<T>(fn: (db: pg.PoolClient) => Promise<T>): Promise<T> {
    const db = await this.prisma.pool.connect();
    let broken = false;
    try {
      await db.query('BEGIN');
      const result = await fn(db);
      await db.query('COMMIT');
      return result;
    } catch (err) {
      await db.query('ROLLBACK').catch(() => (broken = true));
      throw err;
    } finally {
      db.release(broken);
    }
  }

  private async indexBatch(db: pg.PoolClient, items: PendingIndex[]): Promise<{ studyId: string; inserted: boolean }[]> {
    // Each row once per key (a multi-row upsert may not touch a row twice), sorted by key. The first
    // instance of a study or series provides its attributes; a study's modalities are those of all
    // its instances here; the first copy of a SOP instance is written, a later copy is a duplicate.
    const patients = new Map<string, { h: string; mrn: string; issuer: string; name: string | null; birthDate: string | null; sex: string | null }>();
    const studies = new Map<string, { item: PendingIndex; issuer: string; modalities: Set<string>; bodyPart: string | null; accession: string | null }>();
    const series = new Map<string, PendingIndex>();
    const instances = new Map<string, PendingIndex>();
    for (const item of items) {
      const { hospitalId: h, p } = item;
      // Without an issuer, the hospital is the issuer: MRNs are only unique within it.
      const issuer = p.patient.issuer ?? h;
      const patientKey = key(h, issuer, p.patient.id);
      if (!patients.has(patientKey)) patients.set(patientKey, { h, mrn: p.patient.id, issuer, name: p.patient.name, birthDate: p.patient.birthDate, sex: p.patient.sex });
      const studyKey = key(h, p.studyInstanceUid);
      const study = studies.get(studyKey) ?? { item, issuer, modalities: new Set<string>(), bodyPart: null, accession: null };
      if (p.series.modality) study.modalities.add(p.series.modality);
      study.bodyPart ??= p.series.bodyPart;
      study.accession ??= p.study.accessionNumber;
      studies.set(studyKey, study);
      const seriesKey = key(h, p.studyInstanceUid, p.seriesInstanceUid);
      if (!series.has(seriesKey)) series.set(seriesKey, item);
      const instanceKey = key(h, p.studyInstanceUid, p.sopInstanceUid);
      if (!instances.has(instanceKey)) instances.set(instanceKey, item);
    }

    const studyRecords = byKey(studies).map(({ item: { hospitalId: h, p, file }, issuer, modalities, bodyPart, accession }) => ({
      h,
      issuer,
      mrn: p.patient.id,
      uid: p.studyInstanceUid,
      accession,
      studyDate: p.study.studyDate,
      studyTime: p.study.studyTime,
      description: p.study.description,
      modalities: [...modalities].sort(),
      bodyPart,
      referring: p.study.referringPhysician,
      institution: p.study.institutionName,
      archive: file.sourceArchiveId,
      json: Object.fromEntries(STUDY_LEVEL_TAGS.filter((t) => t in p.json).map((t) => [t, p.json[t]])),
    }));
    const seriesRecords = byKey(series).map(({ hospitalId: h, p }) => ({ h, study: p.studyInstanceUid, uid: p.seriesInstanceUid, ...p.series }));
    const instanceRecords = byKey(instances).map(({ hospitalId: h, p, file }) => ({
      h,
      study: p.studyInstanceUid,
      series: p.seriesInstanceUid,
      sop: p.sopInstanceUid,
      sopClass: p.sopClassUid,
      instanceNumber: p.instanceNumber,
      ts: p.transferSyntaxUid,
      frames: p.numberOfFrames,
      rows: p.rows,
      columns: p.columns,
      key: file.storageKey,
      size: file.sizeBytes,
      sha256: file.sha256,
      json: p.json,
    }));
    // A named (prepared) statement: the server plans this CTE once per connection, not per batch.
    const { rows } = await db.query<{ kind: 'study' | 'series' | 'instance'; id: string; a: string; b: string; inserted: boolean | null }>({
      name: 'ingest-upsert-batch',
      text: UPSERT_BATCH,
      values: [
        // n: the key order, in which each step inserts (and locks) its rows.
        JSON.stringify(byKey(patients).map((r, n) => ({ ...r, n }))),
        JSON.stringify(studyRecords.map((r, n) => ({ ...r, n }))),
        JSON.stringify(seriesRecords.map((r, n) => ({ ...r, n }))),
        JSON.stringify(instanceRecords.map((r, n) => ({ ...r, n }))),
      ],
    });

    const studyIds = new Map<string, string>(); // hospital + study UID → id
    const newSeries = new Set<string>();
    const inserted: { seriesId: string; studyId: string; sop: string }[] = [];
    for (const r of rows) {
      if (r.kind === 'study') studyIds.set(key(r.a, r.b), r.id);
      else if (r.kind === 'series' && r.inserted) newSeries.add(r.id);
      else if (r.kind === 'instance') inserted.push({ seriesId: r.id, studyId: r.a, sop: r.b });
    }

    if (inserted.length) {
      const perSeries = new Map<string, { id: string; n: number }>();
      const perStudy = new Map<string, { id: string; n: number; series: Set<string> }>();
      for (const r of inserted) {
        const se = perSeries.get(r.seriesId) ?? { id: r.seriesId, n: 0 };
        se.n++;
        perSeries.set(r.seriesId, se);
        const st = perStudy.get(r.studyId) ?? { id: r.studyId, n: 0, series: new Set<string>() };
        st.n++;
        if (newSeries.has(r.seriesId)) st.series.add(r.seriesId);
        perStudy.set(r.studyId, st);
      }
      await db.query({
        name: 'ingest-count',
        text: COUNT,
        values: [JSON.stringify(byKey(perSeries)), JSON.stringify(byKey(perStudy).map((s) => ({ id: s.id, n: s.n, s: s.series.size })))],
      });
    }

    const written = new Set(inserted.map((r) => key(r.studyId, r.sop)));
    return items.map((item) => {
      const studyId = studyIds.get(key(item.hospitalId, item.p.studyInstanceUid))!;
      const first = instances.get(key(item.hospitalId, item.p.studyInstanceUid, item.p.sopInstanceUid)) === item;
      return { studyId, inserted: first && written.has(key(studyId, item.p.sopInstanceUid)) };
    });
  }

  /** One page (keyset by id) of studies still receiving: the job sweep re-creates completion jobs Redis lost. */
  receivingStudiesAfter(afterId: string | null, limit: number) {
    return this.prisma.study.findMany({
      where: { status: 'RECEIVING', ...(afterId ? { id: { gt: afterId } } : {}) },
      orderBy: { id: 'asc' },
      take: limit,
      select: { id: true, lastInstanceAt: true },
    });
  }

  async markComplete(studyId: string): Promise<void> {
    await this.prisma.study.updateMany({ where: { id: studyId, status: 'RECEIVING' }, data: { status: 'COMPLETE', completedAt: new Date() } });
  }
}
