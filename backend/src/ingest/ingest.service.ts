import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DelayedError } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { PrismaService } from '../database/prisma.service.js';
import { QueueService } from '../jobs/queue.service.js';
import { IMAGE_STORE, instanceKey, type ImageStore } from '../storage/image-store.js';
import { WorklistIntakeService } from '../worklist/worklist-intake.service.js';
import { DicomRejection, FailureReason, parseInstance, type ParsedInstance } from './dicom-instance.js';
import { IngestRepository } from './ingest.repository.js';

export type IngestSource = { kind: 'STOW' | 'DIMSE' | 'PULL'; archiveId?: string; callingAeTitle?: string };

export type IngestResult =
  | { ok: true; sopClassUid: string; sopInstanceUid: string; studyInstanceUid: string; seriesInstanceUid: string; duplicate: boolean; studyId: string }
  | { ok: false; sopClassUid?: string; sopInstanceUid?: string; reason: number; message: string };

/**
 * The one way an instance enters the platform, whatever brought it (STOW-RS,
 * C-STORE, pull from an archive): validate, store the file atomically, index it,
 * and (re)start the study's quiet-period timer. Idempotent per SOP Instance UID.
 */
@Injectable()
export class IngestService implements OnModuleInit {
  private readonly logger = new Logger(IngestService.name);
  private readonly incomingDir: string;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(IMAGE_STORE) private readonly store: ImageStore,
    private readonly repository: IngestRepository,
    private readonly queues: QueueService,
    private readonly intake: WorklistIntakeService,
    private readonly prisma: PrismaService,
  ) {
    // Same file system as the store, so adopting a file is a rename.
    this.incomingDir = path.join(config.STORAGE_DIR, '.incoming');
  }

  async onModuleInit(): Promise<void> {
    await fs.mkdir(this.incomingDir, { recursive: true });
    this.queues.process('study-stable', async (job, token) => {
      const waitMs = await this.completeIfQuiet(job.data.studyId);
      if (waitMs > 0) {
        // Still receiving: push this same job back (a new add would be swallowed by deduplication).
        await job.moveToDelayed(Date.now() + waitMs, token);
        throw new DelayedError();
      }
    });
  }

  newIncomingPath(): string {
    return path.join(this.incomingDir, randomUUID());
  }

  async ingestFile(hospitalId: string, tmpPath: string, source: IngestSource): Promise<IngestResult> {
    try {
      let parsed: ParsedInstance;
      let file: Buffer;
      try {
        file = await fs.readFile(tmpPath);
        parsed = parseInstance(file);
      } catch (err) {
        if (err instanceof DicomRejection) {
          return { ok: false, reason: err.reason, message: err.message, sopInstanceUid: err.sopInstanceUid, sopClassUid: err.sopClassUid };
        }
        throw err;
      }
      const ids = {
        sopClassUid: parsed.sopClassUid,
        sopInstanceUid: parsed.sopInstanceUid,
        studyInstanceUid: parsed.studyInstanceUid,
        seriesInstanceUid: parsed.seriesInstanceUid,
      };
      const existing = await this.repository.findInstance(hospitalId, parsed.studyInstanceUid, parsed.sopInstanceUid);
      if (existing) return { ok: true, ...ids, duplicate: true, studyId: existing.studyId };

      const key = instanceKey(hospitalId, parsed.studyInstanceUid, parsed.seriesInstanceUid, parsed.sopInstanceUid);
      const sha256 = createHash('sha256').update(file).digest('hex');
      try {
        // File first, then the row: a crash in between leaves an orphan file (overwritten on
        // resend), never a row pointing at nothing.
        await this.store.adopt(key, tmpPath);
      } catch (err) {
        this.logger.error({ err, key }, 'storing instance failed');
        return { ok: false, ...ids, reason: FailureReason.OutOfResources, message: 'The platform could not store the instance; retry later' };
      }
      const { studyId } = await this.repository.index(hospitalId, parsed, {
        storageKey: key,
        sizeBytes: file.length,
        sha256,
        sourceArchiveId: source.archiveId ?? null,
      });
      await this.scheduleCompletion(studyId);
      return { ok: true, ...ids, duplicate: false, studyId };
    } finally {
      await fs.rm(tmpPath, { force: true });
    }
  }

  /** Debounced: every new instance pushes the study's completion check back. */
  private async scheduleCompletion(studyId: string, delayMs = this.config.STUDY_STABLE_SECONDS * 1000): Promise<void> {
    await this.queues.add(
      'study-stable',
      { studyId },
      {
        delay: delayMs,
        deduplication: { id: `study-stable:${studyId}`, ttl: delayMs, extend: true, replace: true },
        removeOnComplete: true,
        removeOnFail: 1000,
        attempts: 5,
        backoff: { type: 'exponential', delay: 1000 },
      },
    );
  }

  /**
   * The study has been quiet long enough → complete, and on the worklist (idempotent).
   * Otherwise returns how much longer to wait.
   */
  async completeIfQuiet(studyId: string): Promise<number> {
    const study = await this.prisma.study.findUnique({ where: { id: studyId }, select: { lastInstanceAt: true } });
    if (!study) return 0;
    const wait = this.config.STUDY_STABLE_SECONDS * 1000 - (Date.now() - study.lastInstanceAt.getTime());
    if (wait > 0) return wait;
    await this.repository.markComplete(studyId);
    await this.intake.ensureItem(studyId);
    return 0;
  }
}
