import { BadRequestException, HttpException, HttpStatus, Inject, Injectable, NotAcceptableException, NotFoundException } from '@nestjs/common';
import { once } from 'node:events';
import type { Response } from 'express';
import { AuditService } from '../audit/audit.service.js';
import type { AuditAction } from '../audit/audit.types.js';
import { IMAGE_STORE, type ImageStore } from '../storage/image-store.js';
import { element, personName, pick, rewriteBulkData, sortByTag, withoutEmptyValue, type JsonDataset } from './dicom-json.js';
import type { Prisma } from '../generated/prisma/client.js';
import { DicomwebRepository, type InstanceRow, type SeriesRow, type StudyRow, type StudyVersion } from './dicomweb.repository.js';
import { StudyAnswerCache } from './study-answer-cache.js';
import { FrameError, finishNativeFrame, indexFrames, nativeFrameSpan, parseFrameList, parsePart10, readElementValue, type FrameIndex } from './frames.js';
import { ClientGoneError, MultipartWriter, parseAccept, typeMatches, type AcceptedRange } from './media.js';
import { parseQidoQuery, QidoQueryError, type QidoLevel } from './qido-query.js';
import { EXPLICIT_LE, frameMediaType, IMPLICIT_LE, isNative, transferSyntaxName } from './transfer-syntax.js';

/** Server-side page caps per level (a client's larger limit is cut, with a Warning header). */
const MAX_RESULTS: Record<QidoLevel, number> = { study: 1000, series: 5000, instance: 10000 };
/** Tags of the default answer that come from the stored DICOM JSON rather than columns. */
const STUDY_JSON_TAGS = ['00080005', '00080090', '00080201', '00100010', '00100030', '00100040', '00200010'];
const SERIES_JSON_TAGS = ['00080005', '00080201', '00400244', '00400245'];
const INSTANCE_JSON_TAGS = ['00080005', '00080201', '00280100', '00280008'];
/** Instance-specific elements left out of a series-level `includefield=all` (which comes from the series' first instance). */
const NOT_SERIES_LEVEL = new Set(['00080018', '00200013', '00080012', '00080013', '00280008', '7FE00010']);
/** Frame indexes kept in memory (LRU): later frame requests read only the frame's bytes. */
const FRAME_INDEX_CACHE = 500;

export interface RequestInfo {
  /** Absolute URL of /dicomweb as the client reaches it. */
  base: string;
  accept: string | undefined;
}

export interface Path {
  study: string;
  series?: string;
  instance?: string;
}

/** The study context of a path, resolved in the caller's scope (or a 404). */
interface Resolved {
  study: { id: string; hospitalId: string; studyInstanceUid: string; patientId: string };
  series?: { id: string; seriesInstanceUid: string };
}

/**
 * DICOMweb read side (PS3.18): QIDO-RS from the index (never from files), WADO-RS
 * metadata from the stored DICOM JSON, instances/frames/bulk data streamed from the
 * image store. Unknown and out-of-scope UIDs are the same 404. Every access is audited
 * (one event per patient) before any patient data leaves.
 */
@Injectable()
export class DicomwebService {
  private readonly frameIndexes = new Map<string, FrameIndex>();
  /** Rendered default study answers by row version (the study list is asked for again and again). */
  private readonly studyAnswers = new StudyAnswerCache();

  constructor(
    private readonly repo: DicomwebRepository,
    private readonly audit: AuditService,
    @Inject(IMAGE_STORE) private readonly store: ImageStore,
  ) {}

  // ================================================================== QIDO-RS

  /** The answer as JSON text (the study-level default answer is assembled from rendered studies). */
  async search(level: QidoLevel, query: URLSearchParams, path: Partial<Path>, req: RequestInfo): Promise<{ json: string; warnings: string[] }> {
    negotiateJson(req.accept);
    let q;
    try {
      q = parseQidoQuery(query, level);
    } catch (err) {
      if (err instanceof QidoQueryError) throw new BadRequestException(err.message);
      throw err;
    }
    const resolved = path.study ? await this.resolve({ study: path.study, series: path.series }, 'dicomweb.search') : undefined;

    const cap = MAX_RESULTS[level];
    const take = Math.min(q.limit ?? cap, cap);
    const include = [...q.includeTags];
    const ownJsonTags = level === 'study' ? STUDY_JSON_TAGS : level === 'series' ? SERIES_JSON_TAGS : INSTANCE_JSON_TAGS;
    const entry = {
      action: 'dicomweb.search',
      objectType: level === 'study' ? 'Study' : level === 'series' ? 'Series' : 'Instance',
      objectId: path.series ?? path.study ?? null,
      hospitalId: resolved?.study.hospitalId,
    } as const;
    const detail = { level, query: Object.fromEntries(query) };
    // The study search writes the audit events in its own statement (one round trip).
    const audit = (shown: Prisma.Sql) => this.audit.inStatement({ ...entry, detail }, shown);
    const base = req.base;
    let json: string;
    let more: boolean;

    if (level === 'study' && !q.includeAll && include.every((tag) => DEFAULT_STUDY_TAGS.has(tag))) {
      // The default study answer (what viewers' study lists ask for): the page comes back as
      // study ids and row versions, and each study is rendered once per version.
      const found = await this.repo.searchStudyVersions({ filters: q.filters, take, skip: q.offset, audit });
      more = found.more;
      const audited = found.audited
        ? Promise.resolve()
        : this.audit.record({ ...entry, patientIds: found.page.map((p) => p.patientId), detail: { level, count: found.page.length, query: detail.query } });
      try {
        json = await this.renderStudies(found.page, base);
      } catch (err) {
        await audited.catch(() => undefined);
        throw err;
      }
      await audited;
    } else {
      const found = await this.repo.search({
        level,
        filters: q.filters,
        studyId: resolved?.study.id,
        seriesId: resolved?.series?.id,
        jsonTags: [...new Set([...ownJsonTags, ...include])],
        jsonAll: q.includeAll,
        take,
        skip: q.offset,
        audit,
      });
      const rows = found.rows;
      more = found.more;
      const patientIds = rows.map((r) => ('patient' in r ? r.patient.id : r.study.patient.id));
      // Otherwise written while the answer is built, and awaited before it is returned: no
      // patient data leaves unless its access was recorded.
      const audited = found.audited ? Promise.resolve() : this.audit.record({ ...entry, patientIds, detail: { level, count: rows.length, query: detail.query } });
      try {
        json = JSON.stringify(
          rows.map((row) => {
            if (level === 'study') return sortByTag(studyAttributes(row as StudyRow, row.json, base, q.includeAll, include));
            if (level === 'series') {
              const s = row as SeriesRow & { json: JsonDataset };
              const parent = path.study ? { '0020000D': element('UI', s.study.studyInstanceUid) } : studyAttributes(s.study, {}, base, false, []);
              return sortByTag({ ...parent, ...seriesAttributes(s, s.study.studyInstanceUid, s.json, base, q.includeAll, include) });
            }
            const i = row as InstanceRow & { json: JsonDataset };
            const parent = {
              ...(path.study ? { '0020000D': element('UI', i.study.studyInstanceUid) } : studyAttributes(i.study, {}, base, false, [])),
              ...(path.series ? { '0020000E': element('UI', i.series.seriesInstanceUid) } : seriesAttributes(i.series, i.study.studyInstanceUid, {}, base, false, [])),
            };
            return sortByTag({ ...parent, ...instanceAttributes(i, i.json, base, q.includeAll, include) });
          }),
        );
      } catch (err) {
        await audited.catch(() => undefined);
        throw err;
      }
      await audited;
    }

    const warnings: string[] = [];
    if (q.ignored.length) warnings.push(`The following query keys are not supported for matching at this level and were ignored: ${q.ignored.join(', ')}`);
    if (more && (q.limit === undefined || q.limit > cap)) warnings.push('There are additional results that can be requested');
    return { json, warnings };
  }

  /**
   * The default answers of a page of studies, as a JSON array, in page order: rendered texts of
   * the same row versions are reused, the other studies are read by id and rendered. A study
   * gone or changed hands in between is left out (its patient was audited, nothing is shown).
   */
  private async renderStudies(page: StudyVersion[], base: string): Promise<string> {
    const texts = page.map((p) => this.studyAnswers.get(p.id, p.version, base));
    const missing = page.filter((_, i) => texts[i] === undefined);
    if (missing.length) {
      const loaded = new Map((await this.repo.loadStudies(missing.map((p) => p.id))).map((r) => [r.id, r]));
      page.forEach((p, i) => {
        if (texts[i] !== undefined) return;
        const row = loaded.get(p.id);
        if (!row || row.patient.id !== p.patientId || row.hospitalId !== p.hospitalId) return;
        texts[i] = JSON.stringify(studyAttributes(row, row.json, base, false, []));
        this.studyAnswers.set(row.id, row.version, base, texts[i]);
      });
    }
    return `[${texts.filter((t) => t !== undefined).join(',')}]`;
  }

  // ================================================================== WADO-RS

  /** Whole study, series or one instance as multipart/related application/dicom (or one application/dicom). */
  async retrieve(path: Path, req: RequestInfo, res: Response): Promise<void> {
    const resolved = await this.resolve(path, 'dicomweb.retrieve');
    let files;
    if (path.instance) {
      const inst = await this.repo.findInstance(resolved.study.id, resolved.series!.id, path.instance);
      if (!inst) return this.notFound('dicomweb.retrieve', path);
      files = [{ ...inst, series: { seriesInstanceUid: resolved.series!.seriesInstanceUid } }];
    } else {
      files = await this.repo.listFiles(resolved.study.id, resolved.series?.id);
      if (!files.length) return this.notFound('dicomweb.retrieve', path);
    }
    const stored = [...new Set(files.map((f) => f.transferSyntaxUid))];
    const choice = negotiate(req.accept, (r) => {
      if (!typeMatches(r.type, 'application/dicom')) return false;
      if (r.multipart === false && files.length !== 1) return false;
      return !r.transferSyntax || r.transferSyntax === '*' || stored.every((ts) => ts === r.transferSyntax);
    });
    if (!choice) {
      throw new NotAcceptableException(
        `Cannot satisfy Accept "${req.accept}": instances are served as stored (${stored.map(transferSyntaxName).join(', ')}); the platform does not transcode. ` +
          'Accept multipart/related; type="application/dicom" (optionally with transfer-syntax=* or the stored syntax).',
      );
    }
    await this.auditStudyAccess(resolved.study, 'dicomweb.retrieve', path.instance ? 'Instance' : path.series ? 'Series' : 'Study', path.instance ?? path.series ?? path.study, { what: 'instances', instances: files.length });

    const url = (f: (typeof files)[number]) => `${req.base}/studies/${path.study}/series/${f.series.seriesInstanceUid}/instances/${f.sopInstanceUid}`;
    if (choice.multipart === false) {
      const f = files[0];
      res.status(200);
      res.setHeader('Content-Type', `application/dicom; transfer-syntax=${f.transferSyntaxUid}`);
      res.setHeader('Content-Length', String(f.sizeBytes));
      res.setHeader('Content-Location', url(f));
      await pump(this.store.read(f.storageKey), res);
      res.end();
      return;
    }
    const mp = new MultipartWriter(res);
    res.status(200);
    res.setHeader('Content-Type', mp.contentType('application/dicom'));
    await this.stream(res, async () => {
      for (const f of files) {
        await mp.part(
          { 'Content-Type': `application/dicom; transfer-syntax=${f.transferSyntaxUid}`, 'Content-Length': String(f.sizeBytes), 'Content-Location': url(f) },
          this.store.read(f.storageKey),
        );
      }
      await mp.end();
    });
  }

  /** Study, series or instance metadata (DICOM JSON from the index), streamed in batches. */
  async metadata(path: Path, req: RequestInfo, res: Response): Promise<void> {
    negotiateJson(req.accept);
    const resolved = await this.resolve(path, 'dicomweb.metadata');
    let single;
    if (path.instance) {
      single = await this.repo.findInstanceMetadata(resolved.study.id, resolved.series!.id, path.instance);
      if (!single) return this.notFound('dicomweb.metadata', path);
    }
    const render = (inst: { sopInstanceUid: string; rows: number | null; transferSyntaxUid: string; dicomJson: unknown }, seriesUid: string) => {
      const instanceUrl = `${req.base}/studies/${path.study}/series/${seriesUid}/instances/${inst.sopInstanceUid}`;
      const json = rewriteBulkData((inst.dicomJson ?? {}) as JsonDataset, instanceUrl);
      // Ingest keeps PixelData out of the JSON (at most an empty element): point it at the frames.
      if (inst.rows !== null && !json['7FE00010']?.BulkDataURI && !json['7FE00010']?.InlineBinary) {
        const bits = Number((json['00280100']?.Value ?? [])[0] ?? 16);
        json['7FE00010'] = { vr: isNative(inst.transferSyntaxUid) && bits > 8 ? 'OW' : 'OB', BulkDataURI: `${instanceUrl}/bulk/7FE00010` };
      }
      return JSON.stringify(sortByTag(json));
    };

    if (single) {
      await this.auditStudyAccess(resolved.study, 'dicomweb.metadata', 'Instance', path.instance);
      res.status(200).setHeader('Content-Type', 'application/dicom+json; charset=utf-8');
      res.end(`[${render(single, resolved.series!.seriesInstanceUid)}]`);
      return;
    }
    const firstBatch = await this.repo.metadataBatch(resolved.study.id, resolved.series?.id, undefined, 200);
    if (!firstBatch.length) return this.notFound('dicomweb.metadata', path);
    await this.auditStudyAccess(resolved.study, 'dicomweb.metadata', path.series ? 'Series' : 'Study', path.series ?? path.study);
    res.status(200).setHeader('Content-Type', 'application/dicom+json; charset=utf-8');
    await this.stream(res, async () => {
      let batch = firstBatch;
      let first = true;
      await write(res, '[');
      while (batch.length) {
        const text = batch.map((i) => render(i, i.series.seriesInstanceUid)).join(',');
        await write(res, (first ? '' : ',') + text);
        first = false;
        if (batch.length < 200) break;
        batch = await this.repo.metadataBatch(resolved.study.id, resolved.series?.id, batch[batch.length - 1].id, 200);
      }
      await write(res, ']');
      res.end();
    });
  }

  /** One audit event for a read of (part of) a study: its patient, its hospital. */
  private auditStudyAccess(
    study: { patientId: string; hospitalId: string },
    action: AuditAction,
    objectType: string,
    objectId: string | null | undefined,
    detail?: Record<string, unknown>,
  ) {
    return this.audit.record({ action, objectType, objectId, patientIds: [study.patientId], hospitalId: study.hospitalId, detail });
  }

  /** Frames of one instance, as stored (native: raw little-endian bytes; encapsulated: each frame's bitstream). */
  async frames(path: Path, frameList: string, req: RequestInfo, res: Response): Promise<void> {
    let numbers: number[];
    try {
      numbers = parseFrameList(frameList);
    } catch (err) {
      throw new BadRequestException((err as Error).message);
    }
    const resolved = await this.resolve(path, 'dicomweb.retrieve');
    const inst = await this.repo.findInstance(resolved.study.id, resolved.series!.id, path.instance!);
    if (!inst) return this.notFound('dicomweb.retrieve', path);
    if (inst.rows === null) throw new NotFoundException('The instance has no pixel data, so it has no frames');
    const outOfRange = numbers.filter((n) => n > inst.numberOfFrames);
    if (outOfRange.length) {
      throw new NotFoundException(`Frame ${outOfRange.join(', ')} does not exist: the instance has ${inst.numberOfFrames} frame${inst.numberOfFrames === 1 ? '' : 's'}`);
    }
    const plan = negotiateFrames(req.accept, inst.transferSyntaxUid, numbers.length);
    await this.auditStudyAccess(resolved.study, 'dicomweb.retrieve', 'Instance', path.instance, { what: 'frames', frames: numbers.slice(0, 100) });
    const { index, file } = await this.frameIndex(inst);
    const contentType = `${plan.type}; transfer-syntax=${plan.transferSyntax}`;
    const frameUrl = (n: number) => `${req.base}/studies/${path.study}/series/${path.series}/instances/${path.instance}/frames/${n}`;
    if (!plan.multipart) {
      const bytes = await this.readFrame(inst, index, numbers[0], file);
      res.status(200).setHeader('Content-Type', contentType);
      res.setHeader('Content-Length', String(bytes.length));
      res.end(bytes);
      return;
    }
    const mp = new MultipartWriter(res);
    res.status(200).setHeader('Content-Type', mp.contentType(plan.type, plan.transferSyntax));
    await this.stream(res, async () => {
      for (const n of numbers) {
        const bytes = await this.readFrame(inst, index, n, file);
        await mp.part({ 'Content-Type': contentType, 'Content-Length': String(bytes.length), 'Content-Location': frameUrl(n) }, bytes);
      }
      await mp.end();
    });
  }

  /** Bulk data of one element (a BulkDataURI of the metadata); PixelData answers all frames. */
  async bulk(path: Path, elementPath: string[], req: RequestInfo, res: Response): Promise<void> {
    const parsed: (string | number)[] = [];
    for (let i = 0; i < elementPath.length; i++) {
      const ok = i % 2 === 0 ? /^[0-9A-Fa-f]{8}$/.test(elementPath[i]) : /^[0-9]{1,6}$/.test(elementPath[i]);
      if (!ok || elementPath.length % 2 === 0) throw new NotFoundException('No such bulk data element');
      parsed.push(i % 2 === 0 ? elementPath[i].toUpperCase() : Number(elementPath[i]));
    }
    const resolved = await this.resolve(path, 'dicomweb.retrieve');
    const inst = await this.repo.findInstance(resolved.study.id, resolved.series!.id, path.instance!);
    if (!inst) return this.notFound('dicomweb.retrieve', path);
    if (parsed.length === 1 && parsed[0] === '7FE00010') {
      if (inst.rows === null) throw new NotFoundException('No such bulk data element');
      const all = Array.from({ length: inst.numberOfFrames }, (_, i) => i + 1).join(',');
      return this.frames(path, all, req, res);
    }
    const choice = negotiate(req.accept, (r) => typeMatches(r.type, 'application/octet-stream') && (!r.transferSyntax || r.transferSyntax === '*' || r.transferSyntax === EXPLICIT_LE));
    if (!choice) throw new NotAcceptableException('Bulk data is served as application/octet-stream (Explicit VR Little Endian byte order)');
    const file = await readAll(this.store.read(inst.storageKey));
    let value;
    try {
      value = readElementValue(file, parsed);
    } catch (err) {
      if (err instanceof FrameError) throw new HttpException(err.message, HttpStatus.INTERNAL_SERVER_ERROR);
      throw err;
    }
    if (!value) throw new NotFoundException('No such bulk data element');
    await this.auditStudyAccess(resolved.study, 'dicomweb.retrieve', 'Instance', path.instance, { what: 'bulk', element: elementPath.join('/') });
    if (choice.multipart === false) {
      res.status(200).setHeader('Content-Type', 'application/octet-stream');
      res.end(value.bytes);
      return;
    }
    const mp = new MultipartWriter(res);
    res.status(200).setHeader('Content-Type', mp.contentType('application/octet-stream'));
    await this.stream(res, async () => {
      await mp.part({ 'Content-Type': 'application/octet-stream', 'Content-Length': String(value.bytes.length) }, value.bytes);
      await mp.end();
    });
  }

  // ================================================================== helpers

  /** Study (and series) of the path in the caller's scope; unknown and foreign are the same 404. */
  private async resolve(path: Partial<Path> & { study: string }, action: AuditAction): Promise<Resolved> {
    const study = await this.repo.findStudy(path.study);
    if (!study) return this.notFound(action, path);
    if (!path.series) return { study };
    const series = await this.repo.findSeries(study.id, path.series);
    if (!series) return this.notFound(action, path);
    return { study, series };
  }

  private async notFound(action: AuditAction, path: Partial<Path>): Promise<never> {
    const what = path.instance ? 'Instance' : path.series ? 'Series' : 'Study';
    await this.audit.record({
      action,
      objectType: what,
      objectId: path.instance ?? path.series ?? path.study ?? null,
      outcome: 'FAILURE',
      detail: { reason: 'not found in scope', path },
    });
    throw new NotFoundException(`${what} not found`);
  }

  /** Runs a streaming body; a client that goes away ends it quietly, a failure after the headers cuts the response. */
  private async stream(res: Response, body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (err) {
      if (err instanceof ClientGoneError) return;
      if (!res.headersSent) throw err;
      res.destroy(err as Error);
    }
  }

  /** The instance's frame index (cached); on a cache miss also the file, read whole to build it. */
  private async frameIndex(inst: { storageKey: string; sha256: string; transferSyntaxUid: string }): Promise<{ index: FrameIndex; file?: Buffer }> {
    const key = `${inst.storageKey}#${inst.sha256}`;
    const cached = this.frameIndexes.get(key);
    if (cached) {
      this.frameIndexes.delete(key);
      this.frameIndexes.set(key, cached); // most recently used last
      return { index: cached };
    }
    const file = await readAll(this.store.read(inst.storageKey));
    let index: FrameIndex;
    try {
      index = indexFrames(file, inst.transferSyntaxUid);
    } catch (err) {
      if (err instanceof FrameError) throw new HttpException(`Frames cannot be read: ${err.message}`, HttpStatus.INTERNAL_SERVER_ERROR);
      throw err;
    }
    this.frameIndexes.set(key, index);
    if (this.frameIndexes.size > FRAME_INDEX_CACHE) this.frameIndexes.delete(this.frameIndexes.keys().next().value!);
    return { index, file };
  }

  private async readFrame(inst: { storageKey: string }, index: FrameIndex, n: number, file?: Buffer): Promise<Buffer> {
    if (file && !index.offsetsInInflated) return this.cut(index, n, (start, end) => Promise.resolve(file.subarray(start, end)));
    if (index.offsetsInInflated) {
      // Deflated data set: offsets are in the inflated bytes, so inflate again (rare syntax).
      const ds = parsePart10(await readAll(this.store.read(inst.storageKey)));
      const bytes = Buffer.from(ds.byteArray.buffer, ds.byteArray.byteOffset, ds.byteArray.byteLength);
      return this.cut(index, n, (start, end) => Promise.resolve(bytes.subarray(start, end)));
    }
    return this.cut(index, n, (start, end) => readAll(this.store.read(inst.storageKey, { start, end })));
  }

  private async cut(index: FrameIndex, n: number, read: (start: number, end: number) => Promise<Buffer>): Promise<Buffer> {
    if (index.native) {
      const span = nativeFrameSpan(index, n);
      return finishNativeFrame(index, await read(span.range[0], span.range[1]), span);
    }
    const ranges = index.fragments![n - 1];
    const parts = await Promise.all(ranges.map(([s, e]) => read(s, e)));
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }
}

// ---------------------------------------------------------------------- attribute builders

/** Attributes of the default study answer: an includefield (or query key) among them changes nothing. */
const DEFAULT_STUDY_TAGS = new Set([
  '00080005', '00080020', '00080030', '00080050', '00080056', '00080061', '00080201', '00080090', '00081030', '00081190',
  '00100010', '00100020', '00100030', '00100040', '0020000D', '00200010', '00201206', '00201208',
]);

/** Study attributes, in tag order unless extra attributes are asked for (then sort them in). */
function studyAttributes(s: StudyRow, json: JsonDataset, base: string, all: boolean, include: string[]): JsonDataset {
  const extra = all ? pick(json, Object.keys(json)) : pick(json, include);
  if (include.includes('00080080')) extra['00080080'] = element('LO', s.institutionName);
  return {
    ...extra,
    '00080005': pick(json, ['00080005'])['00080005'] ?? element('CS'),
    '00080020': element('DA', s.studyDate),
    '00080030': element('TM', s.studyTime),
    '00080050': element('SH', s.accessionNumber),
    '00080056': element('CS', 'ONLINE'),
    '00080061': element('CS', ...s.modalities),
    ...pick(json, ['00080201']),
    '00080090': personName(json['00080090'], s.referringPhysician),
    '00081030': element('LO', s.description),
    '00081190': element('UR', `${base}/studies/${s.studyInstanceUid}`),
    '00100010': personName(json['00100010'], s.patient.name),
    '00100020': element('LO', s.patient.mrn),
    // Patient attributes as this study's files sent them (the Patient row holds the first study's).
    '00100030': json['00100030'] ? withoutEmptyValue(json['00100030']) : element('DA', s.patient.birthDate),
    '00100040': json['00100040'] ? withoutEmptyValue(json['00100040']) : element('CS', s.patient.sex),
    '0020000D': element('UI', s.studyInstanceUid),
    '00200010': json['00200010'] ? withoutEmptyValue(json['00200010']) : element('SH'),
    '00201206': element('IS', s.numSeries),
    '00201208': element('IS', s.numInstances),
  };
}

function seriesAttributes(
  se: { seriesInstanceUid: string; modality: string | null; seriesNumber: number | null; description: string | null; bodyPart: string | null; numInstances: number },
  studyUid: string,
  json: JsonDataset,
  base: string,
  all: boolean,
  include: string[],
): JsonDataset {
  const extra: JsonDataset = pick(json, all ? Object.keys(json).filter((tag) => !NOT_SERIES_LEVEL.has(tag) && json[tag].BulkDataURI === undefined) : include);
  if (include.includes('00180015')) extra['00180015'] = element('CS', se.bodyPart);
  return {
    ...extra,
    '00080005': pick(json, ['00080005'])['00080005'] ?? element('CS'),
    '00080060': element('CS', se.modality),
    '0008103E': element('LO', se.description),
    '00081190': element('UR', `${base}/studies/${studyUid}/series/${se.seriesInstanceUid}`),
    '0020000D': element('UI', studyUid),
    '0020000E': element('UI', se.seriesInstanceUid),
    '00200011': element('IS', se.seriesNumber),
    '00201209': element('IS', se.numInstances),
    ...pick(json, ['00080201', '00400244', '00400245']),
  };
}

function instanceAttributes(i: InstanceRow, json: JsonDataset, base: string, all: boolean, include: string[]): JsonDataset {
  const studyUid = i.study.studyInstanceUid;
  const seriesUid = i.series.seriesInstanceUid;
  const url = `${base}/studies/${studyUid}/series/${seriesUid}/instances/${i.sopInstanceUid}`;
  const extra = rewriteBulkData(all ? json : pick(json, include), url);
  return {
    ...extra,
    '00080005': pick(json, ['00080005'])['00080005'] ?? element('CS'),
    '00080016': element('UI', i.sopClassUid),
    '00080018': element('UI', i.sopInstanceUid),
    '00080056': element('CS', 'ONLINE'),
    '00080060': element('CS', i.series.modality),
    '00081190': element('UR', url),
    '00083002': element('UI', i.transferSyntaxUid),
    '0020000D': element('UI', studyUid),
    '0020000E': element('UI', seriesUid),
    '00200013': element('IS', i.instanceNumber),
    ...(i.rows !== null ? { '00280010': element('US', i.rows), '00280011': element('US', i.columns) } : {}),
    ...pick(json, ['00080201', '00280100']),
    ...(json['00280008'] || i.numberOfFrames > 1 ? { '00280008': element('IS', i.numberOfFrames) } : {}),
  };
}

// ---------------------------------------------------------------------- content negotiation

function negotiate(accept: string | undefined, ok: (r: AcceptedRange) => boolean): AcceptedRange | undefined {
  return parseAccept(accept).find(ok);
}

/** QIDO and metadata answer application/dicom+json (application/json and wildcards accepted too). */
function negotiateJson(accept: string | undefined): void {
  const ok = parseAccept(accept).some(
    (r) => r.multipart !== true && (r.type === null || ['application/dicom+json', 'application/json'].includes(r.type) || r.type === 'application/*'),
  );
  if (!ok) throw new NotAcceptableException(`Cannot satisfy Accept "${accept}": this resource is available as application/dicom+json`);
}

interface FramePlan {
  multipart: boolean;
  /** Media type of each part (or of the single-part body). */
  type: string;
  /** Named in every part: Explicit VR Little Endian for native frames, else the stored syntax. */
  transferSyntax: string;
}

/**
 * Frames are served as stored, never transcoded. `transfer-syntax=*` (OHIF/Cornerstone)
 * or no transfer-syntax means "as stored"; native frames also satisfy a request for
 * Explicit or Implicit VR Little Endian (same bytes). A request the stored form cannot
 * satisfy is 406 with the reason.
 */
export function negotiateFrames(accept: string | undefined, stored: string, count: number): FramePlan {
  const native = isNative(stored);
  const outTs = native ? EXPLICIT_LE : stored;
  const natural = frameMediaType(stored);
  const tsOk = (ts: string | undefined) =>
    ts === undefined || ts === '*' || ts === stored || (native && (ts === EXPLICIT_LE || ts === IMPLICIT_LE));
  for (const r of parseAccept(accept)) {
    if (r.multipart === false && count !== 1) continue;
    if (!tsOk(r.transferSyntax)) continue;
    const multipart = r.multipart !== false;
    if (r.type === null || r.type === '*/*') return { multipart, type: natural, transferSyntax: outTs };
    if (r.type === 'application/octet-stream') return { multipart, type: 'application/octet-stream', transferSyntax: outTs };
    if (!native && typeMatches(r.type, natural)) return { multipart, type: r.type.endsWith('/*') ? natural : r.type, transferSyntax: outTs };
  }
  throw new NotAcceptableException(
    `Cannot satisfy Accept "${accept}": the frames are stored as ${transferSyntaxName(stored)} and the platform does not transcode. ` +
      `Ask for multipart/related; type="application/octet-stream"; transfer-syntax=* (as stored)${native ? '' : ` or type="${natural}"`}.`,
  );
}

// ---------------------------------------------------------------------- streams

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

async function write(res: Response, text: string): Promise<void> {
  if (res.destroyed) throw new ClientGoneError();
  if (!res.write(text)) {
    await Promise.race([once(res, 'drain'), once(res, 'close')]);
    if (res.destroyed) throw new ClientGoneError();
  }
}

async function pump(src: NodeJS.ReadableStream & { destroy(): void }, res: Response): Promise<void> {
  try {
    for await (const chunk of src) {
      if (res.destroyed) return;
      if (!res.write(chunk)) {
        await Promise.race([once(res, 'drain'), once(res, 'close')]);
      }
    }
  } finally {
    src.destroy();
  }
}
