import { ForbiddenException, Injectable, Logger, UnsupportedMediaTypeException } from '@nestjs/common';
import type { Readable } from 'node:stream';
import fs from 'node:fs/promises';
import { AuditService } from '../audit/audit.service.js';
import { MultipartError, parseMultipartContentType, receiveMultipart } from '../common/multipart-related.js';
import type { Principal } from '../common/principal.js';
import { PrismaService } from '../database/prisma.service.js';
import { FailureReason } from './dicom-instance.js';
import { IngestPipeline } from './ingest-pipeline.js';
import { IngestService, type IngestResult } from './ingest.service.js';

export interface StowOutcome {
  /** 200 all stored, 202 some failed, 409 none stored (PS3.18 10.5.3). */
  status: 200 | 202 | 409;
  body: Record<string, unknown>;
}

/** Parts of one upload being ingested at once (bounded by bytes too, see IngestPipeline). */
const STOW_PARTS_IN_FLIGHT = 32;

const US = (v: number) => ({ vr: 'US', Value: [v] });
const UI = (v: string) => ({ vr: 'UI', Value: [v] });
const UR = (v: string) => ({ vr: 'UR', Value: [v] });

/** STOW-RS: stream the parts to disk one by one and ingest each; one bad part never costs the others. */
@Injectable()
export class StowService {
  private readonly logger = new Logger(StowService.name);

  constructor(
    private readonly ingest: IngestService,
    private readonly audit: AuditService,
    private readonly prisma: PrismaService,
  ) {}

  async store(principal: Principal, contentType: string | undefined, body: Readable, baseUrl: string, expectedStudyUid?: string): Promise<StowOutcome> {
    const hospitalId = principal.hospitalId;
    if (!hospitalId) throw new ForbiddenException('Storing studies needs a hospital: use a hospital API key or a hospital staff account');
    let boundary: string;
    try {
      const ct = parseMultipartContentType(contentType);
      if (ct.type && ct.type.toLowerCase() !== 'application/dicom') {
        throw new MultipartError(`Only type="application/dicom" (DICOM Part-10 instances) is accepted, not "${ct.type}"`);
      }
      boundary = ct.boundary;
    } catch (err) {
      throw new UnsupportedMediaTypeException((err as Error).message);
    }

    // One slot per part, filled as its ingest finishes: the answer lists parts in the order sent.
    const slots: (IngestResult | undefined)[] = [];
    let cutOff: string | null = null;
    // Each part waits mostly on its durable write and the index batch: many in flight keep the
    // disk and the database busy while the parse workers and this thread receive the next ones.
    const pipeline = new IngestPipeline(STOW_PARTS_IN_FLIGHT);
    try {
      // Parts small enough to be held in memory are never written to an incoming file: the
      // ingest writes them straight into the image store (one durable write per instance).
      const receive = { writeMemoryParts: false };
      await receiveMultipart(body, boundary, () => this.ingest.newIncomingPath(), async (part) => {
        const slot = slots.push(undefined) - 1;
        const type = (part.headers['content-type'] ?? 'application/dicom').split(';')[0].trim().toLowerCase();
        if (type !== 'application/dicom') {
          if (!part.data) await fs.rm(part.path, { force: true });
          slots[slot] = { ok: false, reason: FailureReason.CannotUnderstand, message: `Part ${part.index}: Content-Type ${type} is not application/dicom` };
          return;
        }
        await pipeline.push(part.size, async () => {
          const result = part.data
            ? await this.ingest.ingestData(hospitalId, part.data, { kind: 'STOW' })
            : await this.ingest.ingestFile(hospitalId, part.path, { kind: 'STOW' });
          if (result.ok && expectedStudyUid && result.studyInstanceUid !== expectedStudyUid) {
            // Already stored by now; report it as the standard asks (the instance is not part of that study).
            slots[slot] = { ...result, ok: false, reason: FailureReason.DataSetDoesNotMatchSopClass, message: `Instance belongs to study ${result.studyInstanceUid}, not ${expectedStudyUid}` } as IngestResult;
            return;
          }
          slots[slot] = result;
        });
      }, receive);
    } catch (err) {
      if (!(err instanceof MultipartError)) {
        await pipeline.drain().catch(() => undefined);
        throw err;
      }
      // What arrived intact is kept; the client learns exactly what is missing.
      cutOff = err.message;
    }
    await pipeline.drain();
    const results = slots.filter((r): r is IngestResult => r !== undefined);

    const stored = results.filter((r): r is Extract<IngestResult, { ok: true }> => r.ok);
    const failed = results.filter((r): r is Extract<IngestResult, { ok: false }> => !r.ok);
    await this.recordAudit(stored, failed, hospitalId, cutOff);
    if (failed.length) this.logger.warn({ failed: failed.map((f) => ({ sop: f.sopInstanceUid, reason: f.message })) }, 'STOW-RS instances rejected');

    const studyUids = [...new Set(stored.map((r) => r.studyInstanceUid))];
    const response: Record<string, unknown> = {};
    if (studyUids.length === 1) response['00081190'] = UR(`${baseUrl}/studies/${studyUids[0]}`);
    if (failed.length || cutOff) {
      response['00081198'] = {
        vr: 'SQ',
        Value: failed.map((f) => ({
          ...(f.sopClassUid ? { '00081150': UI(f.sopClassUid) } : {}),
          ...(f.sopInstanceUid ? { '00081155': UI(f.sopInstanceUid) } : {}),
          '00081197': US(f.reason),
          // The reason in words (TextValue): the standard item has only the code, operators need the why.
          '0040A160': { vr: 'UT', Value: [f.message] },
        })),
      };
    }
    if (stored.length) {
      response['00081199'] = {
        vr: 'SQ',
        Value: stored.map((r) => ({
          '00081150': UI(r.sopClassUid),
          '00081155': UI(r.sopInstanceUid),
          '00081190': UR(`${baseUrl}/studies/${r.studyInstanceUid}/series/${r.seriesInstanceUid}/instances/${r.sopInstanceUid}`),
          // 0xB007: the instance was already stored (idempotent resend), nothing changed.
          ...(r.duplicate ? { '00081196': US(0xb007) } : {}),
        })),
      };
    }
    if (cutOff) response['0040A160'] = { vr: 'UT', Value: [`Upload incomplete: ${cutOff}; the instances listed as stored are safe, resend the rest`] };
    const status = !failed.length && !cutOff ? 200 : stored.length ? 202 : 409;
    return { status, body: response };
  }

  private async recordAudit(stored: Extract<IngestResult, { ok: true }>[], failed: Extract<IngestResult, { ok: false }>[], hospitalId: string, cutOff: string | null) {
    const studyIds = [...new Set(stored.map((r) => r.studyId))];
    const studies = studyIds.length
      ? await this.prisma.study.findMany({ where: { id: { in: studyIds } }, select: { patientId: true, studyInstanceUid: true } })
      : [];
    await this.audit.record({
      action: 'dicomweb.store',
      objectType: 'Study',
      objectId: studies.length === 1 ? studies[0].studyInstanceUid : null,
      patientIds: studies.map((s) => s.patientId),
      hospitalId,
      outcome: failed.length || cutOff ? (stored.length ? 'SUCCESS' : 'FAILURE') : 'SUCCESS',
      detail: { stored: stored.length, duplicates: stored.filter((s) => s.duplicate).length, failed: failed.length, cutOff },
    });
  }
}
