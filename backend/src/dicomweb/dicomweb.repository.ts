import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { Prisma } from '../generated/prisma/client.js';
import { PrismaService } from '../database/prisma.service.js';
import { TenancyService } from '../tenancy/tenancy.service.js';
import type { JsonDataset } from './dicom-json.js';
import { likePattern, type Filter, type QidoLevel } from './qido-query.js';

/** Study columns every QIDO answer level may need (study attributes, parent UIDs, audit). */
export const STUDY_SELECT = {
  id: true,
  hospitalId: true,
  studyInstanceUid: true,
  accessionNumber: true,
  studyDate: true,
  studyTime: true,
  description: true,
  modalities: true,
  referringPhysician: true,
  institutionName: true,
  numSeries: true,
  numInstances: true,
  patient: { select: { id: true, mrn: true, name: true, birthDate: true, sex: true } },
} satisfies Prisma.StudySelect;

const SERIES_SELECT = {
  id: true,
  seriesInstanceUid: true,
  modality: true,
  seriesNumber: true,
  description: true,
  bodyPart: true,
  numInstances: true,
} satisfies Prisma.SeriesSelect;

/** What retrieving an instance's file, frames or bulk data needs. */
const INSTANCE_FILE = {
  id: true,
  sopInstanceUid: true,
  transferSyntaxUid: true,
  numberOfFrames: true,
  rows: true,
  storageKey: true,
  sizeBytes: true,
  sha256: true,
} satisfies Prisma.InstanceSelect;

export type StudyRow = Prisma.StudyGetPayload<{ select: typeof STUDY_SELECT }>;
export type SeriesRow = Prisma.SeriesGetPayload<{ select: typeof SERIES_SELECT }> & { study: StudyRow };
export type InstanceRow = Prisma.InstanceGetPayload<{
  select: {
    id: true;
    sopInstanceUid: true;
    sopClassUid: true;
    instanceNumber: true;
    transferSyntaxUid: true;
    numberOfFrames: true;
    rows: true;
    columns: true;
  };
}> & { series: Prisma.SeriesGetPayload<{ select: typeof SERIES_SELECT }>; study: StudyRow };

export interface SearchSpec {
  level: QidoLevel;
  filters: Filter[];
  /** Restrict to one study / series (from the path), already resolved in scope. */
  studyId?: string;
  seriesId?: string;
  /** DICOM JSON to bring back with each row: these tags, or everything. */
  jsonTags: string[];
  jsonAll: boolean;
  take: number;
  skip: number;
  /**
   * The audit INSERT for the rows returned (AuditService.inStatement), given a relation with
   * their "patientId"s. A search that can write it in its own statement does so and answers
   * `audited: true`; otherwise the caller records the access itself.
   */
  audit?: (rows: Prisma.Sql) => Prisma.Sql;
}

export type Found<T> = T & { json: JsonDataset };

/** A row of the study-level search (study columns, its patient's, the projected JSON). */
type StudySqlRow = Omit<StudyRow, 'patient'> & {
  patientId: string;
  mrn: string;
  name: string | null;
  birthDate: string | null;
  sex: string | null;
  json: JsonDataset | null;
};

const sql = Prisma.sql;

/** SQL of each matchable attribute. Aliases: s = Study, p = Patient, se = Series, i = Instance. */
const COLUMNS: Record<string, Prisma.Sql> = {
  '00100020': sql`p.mrn`,
  // Patient attributes as the study's files sent them, else the Patient row.
  '00100010': sql`COALESCE(s."dicomJson"->'00100010'->'Value'->0->>'Alphabetic', p.name)`,
  '00100030': sql`COALESCE(s."dicomJson"->'00100030'->'Value'->>0, p."birthDate")`,
  '00100040': sql`COALESCE(s."dicomJson"->'00100040'->'Value'->>0, p.sex)`,
  '00080020': sql`s."studyDate"`,
  '00080030': sql`s."studyTime"`,
  '00080050': sql`s."accessionNumber"`,
  '00080061': sql`s.modalities`,
  '0020000D': sql`s."studyInstanceUid"`,
  '00080090': sql`s."referringPhysician"`,
  '00081030': sql`s.description`,
  '00200010': sql`(s."dicomJson"->'00200010'->'Value'->>0)`,
  '00080080': sql`s."institutionName"`,
  '00080060': sql`se.modality`,
  '0020000E': sql`se."seriesInstanceUid"`,
  '00200011': sql`se."seriesNumber"`,
  '0008103E': sql`se.description`,
  '00180015': sql`se."bodyPart"`,
  '00080018': sql`i."sopInstanceUid"`,
  '00080016': sql`i."sopClassUid"`,
  '00200013': sql`i."instanceNumber"`,
};

/** TM column → 'HHMMSS.ffffff' so partial times compare correctly (see normalizeTime). */
const normalizedTime = (col: Prisma.Sql) =>
  sql`(rpad(split_part(replace(${col}, ':', ''), '.', 1), 6, '0') || '.' || rpad(split_part(${col}, '.', 2), 6, '0'))`;

function condition(f: Filter): Prisma.Sql {
  const col = COLUMNS[f.tag];
  switch (f.kind) {
    case 'uid':
    case 'list':
      return sql`${col} = ANY(${f.values}::text[])`;
    case 'modalities':
      return sql`${col} && ${f.values}::text[]`;
    case 'int':
      return sql`${col} = ${f.value}`;
    case 'date':
      return sql`(${f.from === undefined ? sql`TRUE` : sql`${col} >= ${f.from}`} AND ${f.to === undefined ? sql`TRUE` : sql`${col} <= ${f.to}`} AND ${col} <> '')`;
    case 'time': {
      const t = normalizedTime(col);
      return sql`(${f.from === undefined ? sql`TRUE` : sql`${t} >= ${f.from}`} AND ${f.to === undefined ? sql`TRUE` : sql`${t} <= ${f.to}`} AND ${col} <> '')`;
    }
    case 'string':
      return f.wildcard ? sql`${col} LIKE ${likePattern(f.value)}` : sql`${col} = ${f.value}`;
    case 'ci-string':
      return f.wildcard ? sql`lower(${col}) LIKE lower(${likePattern(f.value)})` : sql`lower(${col}) = lower(${f.value})`;
    case 'pn': {
      // Case-insensitive; trailing empty components ("DOE^JOHN^^") do not matter. The patient's
      // name also matches on its ideographic group (e.g. 王^小東) kept in the study's DICOM JSON.
      const match = (c: Prisma.Sql) =>
        f.wildcard ? sql`lower(${c}) LIKE lower(${likePattern(f.value)})` : sql`rtrim(lower(${c}), '^ ') = rtrim(lower(${f.value}), '^ ')`;
      if (f.tag === '00100010') {
        return sql`(${match(col)} OR ${match(sql`(s."dicomJson"->'00100010'->'Value'->0->>'Ideographic')`)})`;
      }
      return match(col);
    }
  }
}

const shortHash = (text: string) => createHash('sha1').update(text).digest('base64url').slice(0, 16);

/** jsonb of the row's DICOM JSON restricted to `tags` (or all of it). */
function jsonProjection(source: Prisma.Sql, tags: string[], all: boolean): Prisma.Sql {
  if (all) return sql`${source}`;
  if (!tags.length) return sql`NULL::jsonb`;
  return sql`(SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each(${source}) e WHERE e.key = ANY(${tags}::text[]))`;
}

/** The WHERE clause of a search (scope first) and the Patient join its filters need. */
function matching(spec: Pick<SearchSpec, 'filters' | 'studyId' | 'seriesId'>, hospitalIds: readonly string[]) {
  const where: Prisma.Sql[] = [sql`s."hospitalId" = ANY(${[...hospitalIds]}::uuid[])`, ...spec.filters.map(condition)];
  if (spec.studyId) where.push(sql`s.id = ${spec.studyId}::uuid`);
  if (spec.seriesId) where.push(sql`se.id = ${spec.seriesId}::uuid`);
  const needsPatient = spec.filters.some((f) => ['00100020', '00100010', '00100030', '00100040'].includes(f.tag));
  return {
    whereSql: Prisma.join(where, ' AND '),
    patientJoin: needsPatient ? sql`JOIN "Patient" p ON p.id = s."patientId"` : Prisma.empty,
  };
}

/** Changes whenever the study's or its patient's row is rewritten (any UPDATE makes a new row version). */
const ROW_VERSION = sql`(s.xmin::text || '.' || s.ctid::text || '.' || pt.xmin::text || '.' || pt.ctid::text)`;

const STUDY_COLUMNS = sql`s.id::text AS id, s."hospitalId"::text AS "hospitalId", s."studyInstanceUid", s."accessionNumber", s."studyDate",
  s."studyTime", s.description, s.modalities, s."referringPhysician", s."institutionName", s."numSeries", s."numInstances",
  pt.id::text AS "patientId", pt.mrn, pt.name, pt."birthDate", pt.sex`;

/** One study of a search page: who it belongs to, and which version of its rows was read. */
export interface StudyVersion {
  id: string;
  hospitalId: string;
  patientId: string;
  version: string;
}

/**
 * Study-level QIDO, the hot path (every viewer's worklist): one plain SQL round trip on the
 * pool under Prisma. The page is chosen on narrow rows (ids), newest first; `select` reads its
 * studies and patients by id. The scope is in the WHERE clause (hospitalIds from
 * TenancyService.scope()), and callers check every row against it again, so a row outside the
 * scope can never come back even if the SQL were wrong. The audit events of the rows returned
 * are written by the same statement (spec.audit), so the whole search is one round trip; if
 * the re-check ever dropped a row, its patient would be audited without being shown, never the
 * reverse. The study's DICOM JSON comes whole: it holds only the few study-level attributes
 * ingest keeps, and projecting it per row in SQL cost more than the rest of the query.
 */
function studyPageQuery(whereSql: Prisma.Sql, patientJoin: Prisma.Sql, spec: Pick<SearchSpec, 'take' | 'skip' | 'audit' | 'filters' | 'studyId'>, select: Prisma.Sql): pg.QueryConfig {
  const audit = spec.audit
    ? sql`, shown AS (SELECT "patientId" FROM page ORDER BY "receivedAt" DESC, id DESC LIMIT ${spec.take}),
          audit AS (${spec.audit(Prisma.raw('shown'))})`
    : Prisma.empty;
  const query = sql`
    WITH page AS (
      SELECT s.id, s."patientId", s."receivedAt"
      FROM "Study" s ${patientJoin}
      WHERE ${whereSql}
      ORDER BY s."receivedAt" DESC, s.id DESC
      LIMIT ${spec.take + 1} OFFSET ${spec.skip})${audit}
    SELECT ${select}
    ORDER BY page."receivedAt" DESC, page.id DESC`;
  // The unfiltered listing (every viewer's first call) is a prepared statement: planned once per
  // connection. Filtered searches are planned for their values (a generic plan could pick an
  // index for a date range that the actual range makes the slow choice).
  const name = spec.filters.length === 0 && !spec.studyId ? `qido-studies-${shortHash(query.text)}` : undefined;
  return { name, text: query.text, values: query.values };
}

function studyRow(r: StudySqlRow): Found<StudyRow> {
  return {
    id: r.id,
    hospitalId: r.hospitalId,
    studyInstanceUid: r.studyInstanceUid,
    accessionNumber: r.accessionNumber,
    studyDate: r.studyDate,
    studyTime: r.studyTime,
    description: r.description,
    modalities: r.modalities,
    referringPhysician: r.referringPhysician,
    institutionName: r.institutionName,
    numSeries: r.numSeries,
    numInstances: r.numInstances,
    patient: { id: r.patientId, mrn: r.mrn, name: r.name, birthDate: r.birthDate, sex: r.sex },
    json: r.json ?? {},
  };
}

/**
 * DICOMweb reads, limited to the caller's scope (TenancyService). QIDO matching
 * (wildcards, ranges, arrays) needs SQL that Prisma cannot express, so a series or
 * instance search first selects the page of matching ids with raw SQL restricted to the
 * caller's hospitals explicitly, then loads those rows through db(); a study search
 * (the hot path) is one SQL statement whose rows are re-checked against the scope (see
 * searchStudies). Either way a row the scope does not cover can never come back, even
 * if the SQL were wrong.
 */
@Injectable()
export class DicomwebRepository {
  constructor(
    private readonly tenancy: TenancyService,
    private readonly prisma: PrismaService,
  ) {}

  // ------------------------------------------------------------------ QIDO

  async search(spec: SearchSpec): Promise<{ rows: Found<StudyRow | SeriesRow | InstanceRow>[]; more: boolean; audited: boolean }> {
    const { hospitalIds } = await this.tenancy.scope();
    if (!hospitalIds.length) return { rows: [], more: false, audited: false };
    const { whereSql, patientJoin } = matching(spec, hospitalIds);

    if (spec.level === 'study') return this.searchStudies(hospitalIds, whereSql, patientJoin, spec);

    const db = await this.tenancy.db();
    let ids: { id: string; json: JsonDataset | null }[];
    if (spec.level === 'series') {
      // Series carry no DICOM JSON of their own yet: series attributes come from their first instance.
      const seriesJson = sql`COALESCE(se."dicomJson", (SELECT i1."dicomJson" FROM "Instance" i1 WHERE i1."seriesId" = se.id ORDER BY i1."instanceNumber" NULLS LAST, i1.id LIMIT 1))`;
      const order = spec.studyId
        ? sql`se."seriesNumber" ASC NULLS LAST, se."seriesInstanceUid"`
        : sql`s."receivedAt" DESC, s.id DESC, se."seriesNumber" ASC NULLS LAST, se.id`;
      ids = await db.$queryRaw`
        SELECT se.id::text AS id, ${jsonProjection(seriesJson, spec.jsonTags, spec.jsonAll)} AS json
        FROM "Series" se JOIN "Study" s ON s.id = se."studyId" ${patientJoin}
        WHERE ${whereSql}
        ORDER BY ${order}
        LIMIT ${spec.take + 1} OFFSET ${spec.skip}`;
    } else {
      const order = spec.seriesId
        ? sql`i."instanceNumber" ASC NULLS LAST, i."sopInstanceUid"`
        : sql`s."receivedAt" DESC, s.id DESC, se."seriesNumber" ASC NULLS LAST, se.id, i."instanceNumber" ASC NULLS LAST, i.id`;
      ids = await db.$queryRaw`
        SELECT i.id::text AS id, ${jsonProjection(sql`i."dicomJson"`, spec.jsonTags, spec.jsonAll)} AS json
        FROM "Instance" i JOIN "Series" se ON se.id = i."seriesId" JOIN "Study" s ON s.id = i."studyId" ${patientJoin}
        WHERE ${whereSql}
        ORDER BY ${order}
        LIMIT ${spec.take + 1} OFFSET ${spec.skip}`;
    }
    const more = ids.length > spec.take;
    const page = ids.slice(0, spec.take);
    if (!page.length) return { rows: [], more: false, audited: false };
    const idList = page.map((r) => r.id);

    let loaded: (SeriesRow | InstanceRow)[];
    if (spec.level === 'series') {
      loaded = await db.series.findMany({ where: { id: { in: idList } }, select: { ...SERIES_SELECT, study: { select: STUDY_SELECT } } });
    } else {
      loaded = await db.instance.findMany({
        where: { id: { in: idList } },
        select: {
          id: true,
          sopInstanceUid: true,
          sopClassUid: true,
          instanceNumber: true,
          transferSyntaxUid: true,
          numberOfFrames: true,
          rows: true,
          columns: true,
          series: { select: SERIES_SELECT },
          study: { select: STUDY_SELECT },
        },
      });
    }
    const byId = new Map(loaded.map((r) => [r.id, r]));
    const rows = page.flatMap((r) => {
      const row = byId.get(r.id);
      return row ? [{ ...row, json: r.json ?? {} }] : [];
    });
    return { rows, more, audited: false };
  }

  /** Study search with whole rows (see studyPageQuery), checked against the scope again here. */
  private async searchStudies(
    hospitalIds: readonly string[],
    whereSql: Prisma.Sql,
    patientJoin: Prisma.Sql,
    spec: SearchSpec,
  ): Promise<{ rows: Found<StudyRow>[]; more: boolean; audited: boolean }> {
    const { rows: found } = await this.prisma.pool.query<StudySqlRow>(
      studyPageQuery(whereSql, patientJoin, spec, sql`${STUDY_COLUMNS}, s."dicomJson" AS json FROM page JOIN "Study" s ON s.id = page.id JOIN "Patient" pt ON pt.id = s."patientId"`),
    );
    const more = found.length > spec.take;
    const inScope = new Set(hospitalIds);
    const rows = found.slice(0, spec.take).flatMap((r) => (inScope.has(r.hospitalId) ? [studyRow(r)] : []));
    return { rows, more, audited: spec.audit !== undefined };
  }

  /**
   * A study search that answers, per study of the page, only its id, hospital, patient and
   * row version (audited in the same statement like searchStudies): the caller reuses what it
   * already rendered for that version and loads the rest with loadStudies(). Rows outside the
   * scope are dropped here as well.
   */
  async searchStudyVersions(spec: Omit<SearchSpec, 'level' | 'jsonTags' | 'jsonAll'>): Promise<{ page: StudyVersion[]; more: boolean; audited: boolean }> {
    const { hospitalIds } = await this.tenancy.scope();
    if (!hospitalIds.length) return { page: [], more: false, audited: false };
    const { whereSql, patientJoin } = matching(spec, hospitalIds);
    const { rows: found } = await this.prisma.pool.query<StudyVersion>(
      studyPageQuery(
        whereSql,
        patientJoin,
        spec,
        sql`s.id::text AS id, s."hospitalId"::text AS "hospitalId", pt.id::text AS "patientId", ${ROW_VERSION} AS version
            FROM page JOIN "Study" s ON s.id = page.id JOIN "Patient" pt ON pt.id = s."patientId"`,
      ),
    );
    const inScope = new Set(hospitalIds);
    return {
      page: found.slice(0, spec.take).filter((r) => inScope.has(r.hospitalId)),
      more: found.length > spec.take,
      audited: spec.audit !== undefined,
    };
  }

  /** Studies by id with their row versions, in the caller's scope (any order; missing ones left out). */
  async loadStudies(ids: readonly string[]): Promise<Found<StudyRow & { version: string }>[]> {
    const { hospitalIds } = await this.tenancy.scope();
    if (!hospitalIds.length || !ids.length) return [];
    const query = sql`
      SELECT ${STUDY_COLUMNS}, s."dicomJson" AS json, ${ROW_VERSION} AS version
      FROM "Study" s JOIN "Patient" pt ON pt.id = s."patientId"
      WHERE s.id = ANY(${[...ids]}::uuid[]) AND s."hospitalId" = ANY(${[...hospitalIds]}::uuid[])`;
    const { rows } = await this.prisma.pool.query<StudySqlRow & { version: string }>({ name: 'qido-load-studies', text: query.text, values: query.values });
    const inScope = new Set(hospitalIds);
    return rows.flatMap((r) => (inScope.has(r.hospitalId) ? [{ ...studyRow(r), version: r.version }] : []));
  }

  // ------------------------------------------------------------------ WADO

  async findStudy(studyInstanceUid: string) {
    const db = await this.tenancy.db();
    return db.study.findFirst({
      where: { studyInstanceUid },
      select: { id: true, hospitalId: true, studyInstanceUid: true, patientId: true },
      orderBy: { receivedAt: 'asc' },
    });
  }

  async findSeries(studyId: string, seriesInstanceUid: string) {
    const db = await this.tenancy.db();
    return db.series.findFirst({ where: { studyId, seriesInstanceUid }, select: { id: true, seriesInstanceUid: true } });
  }

  async findInstance(studyId: string, seriesId: string, sopInstanceUid: string) {
    const db = await this.tenancy.db();
    return db.instance.findFirst({ where: { studyId, seriesId, sopInstanceUid }, select: INSTANCE_FILE });
  }

  async findInstanceMetadata(studyId: string, seriesId: string, sopInstanceUid: string) {
    const db = await this.tenancy.db();
    return db.instance.findFirst({ where: { studyId, seriesId, sopInstanceUid }, select: { ...INSTANCE_FILE, dicomJson: true } });
  }

  /** Files of a study or series, in reading order (for whole-study/series retrieval). */
  async listFiles(studyId: string, seriesId?: string) {
    const db = await this.tenancy.db();
    return db.instance.findMany({
      where: { studyId, seriesId },
      select: { sopInstanceUid: true, transferSyntaxUid: true, storageKey: true, sizeBytes: true, series: { select: { seriesInstanceUid: true } } },
      orderBy: [{ series: { seriesNumber: 'asc' } }, { seriesId: 'asc' }, { instanceNumber: 'asc' }, { id: 'asc' }],
    });
  }

  /**
   * One batch of instance metadata in reading order (series, instance number), after the
   * instance `afterId`: cursor paging keeps memory flat however large the study.
   */
  async metadataBatch(studyId: string, seriesId: string | undefined, afterId: string | undefined, take: number) {
    const db = await this.tenancy.db();
    return db.instance.findMany({
      where: { studyId, seriesId },
      select: { id: true, sopInstanceUid: true, rows: true, dicomJson: true, transferSyntaxUid: true, series: { select: { seriesInstanceUid: true } } },
      orderBy: [{ seriesId: 'asc' }, { instanceNumber: 'asc' }, { id: 'asc' }],
      ...(afterId ? { cursor: { id: afterId }, skip: 1 } : {}),
      take,
    });
  }
}
