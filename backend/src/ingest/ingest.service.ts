import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DelayedError, type JobsOptions } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { PrismaService } from '../database/prisma.service.js';
import { JobSweepService } from '../jobs/job-sweep.service.js';
import type { JobPayloads } from '../jobs/jobs.js';
import { QueueService } from '../jobs/queue.service.js';
import { IMAGE_STORE, instanceKey, type ImageStore } from '../storage/image-store.js';
import { WorklistIntakeService } from '../worklist/worklist-intake.service.js';
import { DicomRejection, FailureReason, type ParsedInstance } from './dicom-instance.js';
import { IngestRepository } from './ingest.repository.js';
import { ParsePool, WriteFailed, type Parsed } from './parse-pool.js';

const INCOMING_ABANDONED_MS = 10 * 60_000;

/**
 * A study's completion check, `delayMs` from now. Debounced rather than given a fixed id: a new
 * add replaces the delayed job (pushing the check back); while one runs, the run itself re-checks.
 * Its deduplication key lasts the delay (with no delay, until the job ends).
 */
export const studyStableJob = (studyId: string, delayMs: number) => ({
  data: { studyId } satisfies JobPayloads['study-stable'],
  opts: {
    delay: delayMs,
    deduplication: { id: `study-stable:${studyId}`, ttl: delayMs, extend: true, replace: true },
    removeOnComplete: true,
    removeOnFail: 1000,
    attempts: 5,
    backoff: { type: 'exponential', delay: 1000 },
  } satisfies JobsOptions,
});

/** How much longer a study must stay quiet (no new instance) to be complete; 0: it is. */
export const quietPeriodLeft = (lastInstanceAt: Date, stableMs: number, now = Date.now()) => Math.max(0, stableMs - (now - lastInstanceAt.getTime()));

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
export class IngestService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(IngestService.name);
  private readonly incomingDir: string;
  /** Instances being ingested in this process, by hospital/study/SOP: a second copy waits for the first. */
  private readonly inFlight = new Map<string, Promise<unknown>>();
  /** studyId → when its quiet-period job was last (re)started by this process. */
  private readonly completionScheduledAt = new Map<string, number>();
  /** Validation, parsing and hashing off the main thread (it keeps receiving and writing meanwhile). */
  private readonly parser = new ParsePool();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(IMAGE_STORE) private readonly store: ImageStore,
    private readonly repository: IngestRepository,
    private readonly queues: QueueService,
    private readonly intake: WorklistIntakeService,
    private readonly prisma: PrismaService,
    private readonly sweep: JobSweepService,
  ) {
    // Same file system as the store, so adopting a file is a rename.
    this.incomingDir = path.join(config.STORAGE_DIR, '.incoming');
  }

  async onModuleInit(): Promise<void> {
    // A study still RECEIVING whose completion job Redis lost would never reach the worklist: the
    // job sweep re-adds it, due when the study's quiet period ends (at once if it already has).
    this.sweep.register('study-stable', {
      read: (after, limit) => this.repository.receivingStudiesAfter(after, limit),
      jobs: (studies, now) => studies.map((s) => studyStableJob(s.id, quietPeriodLeft(s.lastInstanceAt, this.stableMs, now))),
    });
    await fs.mkdir(this.incomingDir, { recursive: true });
    await this.sweepIncoming();
    this.queues.process('study-stable', async (job, token) => {
      const waitMs = await this.completeIfQuiet(job.data.studyId);
      if (waitMs > 0) {
        // Still receiving: push this same job back (a new add would be swallowed by deduplication).
        await job.moveToDelayed(Date.now() + waitMs, token);
        throw new DelayedError();
      }
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.parser.close();
  }

  /**
   * Half-received files left by a crash. Another process may share the store, so only
   * files untouched for INCOMING_ABANDONED_MS (an upload in progress keeps writing) go.
   */
  async sweepIncoming(now = Date.now()): Promise<number> {
    let removed = 0;
    for (const name of await fs.readdir(this.incomingDir)) {
      const file = path.join(this.incomingDir, name);
      const stat = await fs.stat(file).catch(() => null);
      if (stat && now - stat.mtimeMs > INCOMING_ABANDONED_MS) {
        await fs.rm(file, { force: true });
        removed++;
      }
    }
    if (removed) this.logger.warn(`removed ${removed} abandoned partial upload(s) from ${this.incomingDir}`);
    return removed;
  }

  newIncomingPath(): string {
    return path.join(this.incomingDir, randomUUID());
  }

  /** `data`: the file's bytes when the caller already holds them (small multipart parts), to skip reading it back. */
  async ingestFile(hospitalId: string, tmpPath: string, source: IngestSource, data?: Buffer): Promise<IngestResult> {
    let file: Buffer;
    try {
      file = data ?? (await fs.readFile(tmpPath));
    } catch (err) {
      await fs.rm(tmpPath, { force: true });
      throw err;
    }
    // A file read here is ours to hand to a parse worker; the caller's bytes are copied.
    return this.ingest(hospitalId, tmpPath, false, source, () => this.parser.parse(file, { give: data === undefined }));
  }

  /**
   * An instance held in memory (a STOW-RS part). The bytes are given up: a parse worker takes
   * them, and writes them durably to an incoming file that is then linked into the store.
   */
  ingestData(hospitalId: string, data: Buffer, source: IngestSource): Promise<IngestResult> {
    const tmpPath = this.newIncomingPath();
    return this.ingest(hospitalId, tmpPath, true, source, () => this.parser.parse(data, { give: true, writeTo: tmpPath }));
  }

  /** `tmpPath`: the instance's local file (written by `parse` when `synced`), moved into the store or removed. */
  private async ingest(hospitalId: string, tmpPath: string, synced: boolean, source: IngestSource, parse: () => Promise<Parsed>): Promise<IngestResult> {
    let adopted = false;
    let release: (() => void) | undefined;
    try {
      let parsed: ParsedInstance;
      let sha256: string;
      let sizeBytes: number;
      try {
        ({ parsed, sha256, sizeBytes } = await parse());
      } catch (err) {
        if (err instanceof DicomRejection) {
          return { ok: false, reason: err.reason, message: err.message, sopInstanceUid: err.sopInstanceUid, sopClassUid: err.sopClassUid };
        }
        if (err instanceof WriteFailed) {
          this.logger.error({ err }, 'writing instance failed');
          return { ok: false, sopClassUid: err.parsed.sopClassUid, sopInstanceUid: err.parsed.sopInstanceUid, reason: FailureReason.OutOfResources, message: 'The platform could not store the instance; retry later' };
        }
        throw err;
      }
      const ids = {
        sopClassUid: parsed.sopClassUid,
        sopInstanceUid: parsed.sopInstanceUid,
        studyInstanceUid: parsed.studyInstanceUid,
        seriesInstanceUid: parsed.seriesInstanceUid,
      };
      // Parts of one upload are ingested concurrently; two copies of one SOP instance (variants in
      // other transfer syntaxes reuse the UID) are handled one after the other.
      const sopKey = `${hospitalId}/${parsed.studyInstanceUid}/${parsed.sopInstanceUid}`;
      for (let other = this.inFlight.get(sopKey); other; other = this.inFlight.get(sopKey)) await other.catch(() => undefined);
      this.inFlight.set(sopKey, new Promise<void>((resolve) => (release = () => (this.inFlight.delete(sopKey), resolve()))));

      const key = instanceKey(hospitalId, parsed.studyInstanceUid, parsed.seriesInstanceUid, parsed.sopInstanceUid);
      const storeFailed = (err: unknown): IngestResult => {
        this.logger.error({ err, key }, 'storing instance failed');
        return { ok: false, ...ids, reason: FailureReason.OutOfResources, message: 'The platform could not store the instance; retry later' };
      };
      // File first, then the row: a crash in between leaves an orphan file (replaced on resend),
      // never a row pointing at nothing. So no file under the key means a new instance, and only
      // when there is one does the index have to be asked (one query saved per new instance).
      let placed: boolean;
      try {
        placed = await this.store.adoptIfAbsent(key, tmpPath, { synced });
      } catch (err) {
        return storeFailed(err);
      }
      if (!placed) {
        const existing = await this.repository.findInstance(hospitalId, parsed.studyInstanceUid, parsed.sopInstanceUid);
        if (existing) return { ok: true, ...ids, duplicate: true, studyId: existing.studyId };
        try {
          await this.store.adopt(key, tmpPath, { synced }); // an orphan of an interrupted ingest: replace it
        } catch (err) {
          return storeFailed(err);
        }
      }
      adopted = true;
      const { studyId, inserted } = await this.repository.index(hospitalId, parsed, {
        storageKey: key,
        sizeBytes,
        sha256,
        sourceArchiveId: source.archiveId ?? null,
      });
      if (!inserted) {
        // The study already has this SOP instance, filed under another series: not stored twice.
        if (placed) await this.store.delete(key).catch(() => undefined);
        return { ok: true, ...ids, duplicate: true, studyId };
      }
      await this.scheduleCompletion(studyId);
      return { ok: true, ...ids, duplicate: false, studyId };
    } finally {
      release?.();
      if (!adopted) await fs.rm(tmpPath, { force: true });
    }
  }

  private get stableMs() {
    return this.config.STUDY_STABLE_SECONDS * 1000;
  }

  /**
   * Debounced: every new instance pushes the study's completion check back. The job itself
   * re-checks Study.lastInstanceAt and waits longer while instances keep coming, so within
   * half a quiet period of the last (re)start there is nothing to add: one Redis call per
   * study every few seconds instead of one per instance.
   */
  private async scheduleCompletion(studyId: string, delayMs = this.stableMs): Promise<void> {
    const now = Date.now();
    const last = this.completionScheduledAt.get(studyId);
    if (last !== undefined && now - last < delayMs / 2) return;
    if (this.completionScheduledAt.size > 10_000) {
      for (const [id, at] of this.completionScheduledAt) if (now - at >= delayMs) this.completionScheduledAt.delete(id);
    }
    const { data, opts } = studyStableJob(studyId, delayMs);
    await this.queues.add('study-stable', data, opts);
    this.completionScheduledAt.set(studyId, now);
  }

  /**
   * The study has been quiet long enough → complete, and on the worklist (idempotent).
   * Otherwise returns how much longer to wait.
   */
  async completeIfQuiet(studyId: string): Promise<number> {
    const study = await this.prisma.study.findUnique({ where: { id: studyId }, select: { lastInstanceAt: true } });
    if (!study) return 0;
    const wait = quietPeriodLeft(study.lastInstanceAt, this.stableMs);
    if (wait > 0) return wait;
    await this.repository.markComplete(studyId);
    await this.intake.ensureItem(studyId);
    return 0;
  }
}
