import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { ReceivedPart } from '../common/multipart-related.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { IngestPipeline } from '../ingest/ingest-pipeline.js';
import { IngestService } from '../ingest/ingest.service.js';
import { RedisService } from '../redis/redis.service.js';
import { ArchiveClient, ArchiveError } from './archive-client.js';
import { ArchiveSyncRepository } from './archive-sync.repository.js';
import { backoffMs, dicomDate } from './backoff.js';
import { isDicomUidText } from '../common/schemas.js';

type ArchiveRow = NonNullable<Awaited<ReturnType<ArchiveSyncRepository['findArchive']>>>;

export type SyncOutcome = 'ok' | 'error' | 'busy' | 'backoff' | 'disabled' | 'missing' | 'stopping';

interface RunContext {
  archive: ArchiveRow;
  client: ArchiveClient;
  mode: 'orthanc' | 'qido';
  markedSyncing: boolean;
  /** Studies were retrieved or attributed: studiesSeen must be counted again. */
  changed: boolean;
  /** Per-study problems that did not stop the run (shown in lastError while status stays OK). */
  warnings: string[];
  stats: { checked: number; retrieved: number; stored: number; duplicates: number; rejected: number };
}

const DAY_MS = 24 * 3600 * 1000;
const LOCK_TTL_MS = 60_000;
/** More per-study refusals than this in one run: the archive itself is in trouble, fail the run. */
const MAX_STUDY_FAILURES_PER_RUN = 3;
const RELEASE_LOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW_LOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/**
 * Incremental pull of one hospital archive into the platform.
 *
 * - Orthanc (its REST root answers /system): follow the /changes feed from the
 *   sequence number kept in Archive.cursor and react to StableStudy.
 * - Any other DICOMweb archive: QIDO-RS by StudyDate from the last success minus one
 *   day (the whole archive on the first sync), paged.
 * Either way a study is retrieved with WADO-RS, as stored, only when the archive has
 * more instances than the platform holds (series by series when part of it is here),
 * and every instance goes through IngestService.ingestFile, which is idempotent.
 *
 * One run per archive at a time (Redis lease). Failures never escape: they are
 * recorded on the archive (status ERROR, lastError) and the next attempts back off
 * exponentially (consecutive failures kept in Redis); the first success clears them.
 */
@Injectable()
export class ArchiveSyncService implements OnModuleDestroy {
  private readonly logger = new Logger(ArchiveSyncService.name);
  private readonly shutdown = new AbortController();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: ArchiveSyncRepository,
    private readonly ingest: IngestService,
    private readonly redis: RedisService,
  ) {}

  onModuleDestroy(): void {
    // In-flight requests to archives end now instead of holding up shutdown.
    this.shutdown.abort(new DOMException('application shutting down', 'AbortError'));
  }

  private key(archiveId: string, what: 'lock' | 'backoff' | 'retry' | 'attempted') {
    return `${this.config.QUEUE_PREFIX}:archive-sync:${archiveId}:${what}`;
  }

  /** One scheduled tick for one archive. Never throws: a failure concerns this archive only. */
  async run(archiveId: string): Promise<SyncOutcome> {
    try {
      return await this.tick(archiveId);
    } catch (err) {
      // Only reachable when the platform's own database or Redis failed (archive errors are recorded in tick).
      if (!this.shutdown.signal.aborted) this.logger.error({ err, archiveId }, 'archive sync could not run');
      return this.shutdown.signal.aborted ? 'stopping' : 'error';
    }
  }

  private async tick(archiveId: string): Promise<SyncOutcome> {
    if (this.shutdown.signal.aborted) return 'stopping';
    const archive = await this.repository.findArchive(archiveId);
    if (!archive) return 'missing';
    if (archive.status === 'DISABLED') return 'disabled';

    // A tenth of an interval early still counts: ticks come every interval and a run ends a few ms after one.
    const backoff = await this.redis.hget(this.key(archiveId, 'backoff'), 'next');
    if (backoff && Number(backoff) > Date.now() + this.config.ARCHIVE_SYNC_SECONDS * 100) return 'backoff';

    const lockKey = this.key(archiveId, 'lock');
    const token = randomUUID();
    if ((await this.redis.set(lockKey, token, 'PX', LOCK_TTL_MS, 'NX')) !== 'OK') return 'busy';
    const renew = setInterval(() => {
      this.redis.eval(RENEW_LOCK, 1, lockKey, token, String(LOCK_TTL_MS)).catch(() => undefined);
    }, LOCK_TTL_MS / 3);
    renew.unref();

    const startedAt = new Date();
    const ctx: RunContext = {
      archive,
      client: new ArchiveClient(archive, { signal: this.shutdown.signal }),
      mode: 'qido',
      markedSyncing: false,
      changed: false,
      warnings: [],
      stats: { checked: 0, retrieved: 0, stored: 0, duplicates: 0, rejected: 0 },
    };
    try {
      const cursor = await this.sync(ctx);
      await this.redis.del(this.key(archiveId, 'backoff'));
      const studiesSeen = ctx.changed ? await this.repository.countAttributed(archiveId, archive.hospitalId) : archive.studiesSeen;
      await this.repository.recordSuccess(archiveId, { startedAt, cursor, studiesSeen, warning: ctx.warnings.length ? ctx.warnings.join('; ').slice(0, 2000) : null });
      if (ctx.stats.retrieved) this.logger.log({ archiveId, mode: ctx.mode, ...ctx.stats, studiesSeen }, 'archive sync pulled studies');
      return 'ok';
    } catch (err) {
      if (this.shutdown.signal.aborted) return 'stopping';
      const message = err instanceof ArchiveError ? err.message : `Sync failed: ${(err as Error)?.message ?? String(err)}`;
      try {
        const failures = await this.redis.hincrby(this.key(archiveId, 'backoff'), 'failures', 1);
        const waitMs = backoffMs(failures, this.config.ARCHIVE_SYNC_SECONDS * 1000);
        await this.redis.hset(this.key(archiveId, 'backoff'), 'next', String(Date.now() + waitMs));
        await this.redis.pexpire(this.key(archiveId, 'backoff'), DAY_MS);
        await this.repository.recordFailure(archiveId, message);
        this.logger.warn({ archiveId, failures, retryInMs: waitMs, err: message }, 'archive sync failed');
      } catch (recordErr) {
        this.logger.error({ archiveId, err: recordErr, syncError: message }, 'archive sync failed and the failure could not be recorded');
      }
      return 'error';
    } finally {
      clearInterval(renew);
      await this.redis.eval(RELEASE_LOCK, 1, lockKey, token).catch(() => undefined);
    }
  }

  /** Returns the cursor to keep. */
  private async sync(ctx: RunContext): Promise<string | null> {
    const { archive, client } = ctx;
    ctx.mode = (await client.isOrthanc()) ? 'orthanc' : 'qido';

    // Studies the archive refused on an earlier run (the Orthanc feed will not offer them again).
    for (const uid of await this.redis.smembers(this.key(archive.id, 'retry'))) {
      await this.syncStudy(ctx, uid, undefined);
    }

    if (ctx.mode === 'orthanc') return this.followChanges(ctx);

    const query: Record<string, string> = {};
    // Overlap of a day: late arrivals dated yesterday, clock and time-zone differences. Open-ended,
    // so studies dated "today" in an archive whose day starts before ours are not missed.
    if (archive.lastSuccessAt) query.StudyDate = `${dicomDate(new Date(archive.lastSuccessAt.getTime() - DAY_MS))}-`;
    for await (const study of client.searchStudies(query)) {
      await this.syncStudy(ctx, study.studyInstanceUid, study.numInstances);
    }
    return archive.cursor;
  }

  /** Orthanc: walk /changes from the stored sequence number, a page at a time, saving progress per page. */
  private async followChanges(ctx: RunContext): Promise<string> {
    const { archive, client } = ctx;
    const stored = Number.parseInt(archive.cursor ?? '', 10);
    let since = Number.isFinite(stored) && stored >= 0 ? stored : 0;
    let restarted = false;
    for (;;) {
      const page = await client.orthancChanges(since);
      if (page.last < since && !restarted) {
        // The archive's change log is behind our cursor: it was reinstalled or wiped. Start over
        // (studies already here are skipped by their instance counts).
        this.logger.warn({ archiveId: archive.id, cursor: since, last: page.last }, 'archive change log restarted; re-reading it from the start');
        since = 0;
        restarted = true;
        continue;
      }
      const studyIds = [...new Set(page.changes.filter((c) => c.changeType === 'StableStudy' && c.resourceType === 'Study').map((c) => c.id))];
      for (const id of studyIds) {
        const uid = await client.orthancStudyUid(id);
        if (uid) await this.syncStudy(ctx, uid, undefined);
      }
      const next = Math.max(since, page.last, ...page.changes.map((c) => c.seq));
      if (next !== since) {
        since = next;
        const seen = ctx.changed ? await this.repository.countAttributed(archive.id, archive.hospitalId) : archive.studiesSeen;
        await this.repository.saveCursor(archive.id, String(since), seen);
      }
      if (page.done || page.changes.length === 0) return String(since);
    }
  }

  /**
   * Brings one study up to what the archive holds. `remoteCount`: the archive's instance
   * count when already known (QIDO listing); undefined → ask the archive.
   */
  private async syncStudy(ctx: RunContext, studyInstanceUid: string, remoteCount: number | null | undefined): Promise<void> {
    const { archive, client } = ctx;
    if (!isDicomUidText(studyInstanceUid)) return;
    ctx.stats.checked++;
    const retryKey = this.key(archive.id, 'retry');
    const attemptedKey = this.key(archive.id, 'attempted');
    if (remoteCount === undefined) {
      const remote = await client.findStudy(studyInstanceUid);
      if (!remote) {
        await this.redis.srem(retryKey, studyInstanceUid); // gone from the archive
        return;
      }
      remoteCount = remote.numInstances;
    }
    const local = await this.repository.localStudy(archive.hospitalId, studyInstanceUid);
    const held = local?.numInstances ?? 0;
    const complete = remoteCount === null ? held > 0 : held >= remoteCount;
    if (complete) {
      if (await this.repository.attribute(archive.id, archive.hospitalId, studyInstanceUid)) ctx.changed = true;
      await this.redis.srem(retryKey, studyInstanceUid);
      return;
    }
    // Already tried with the archive in this very state and could not get more (instances we reject).
    const state = `${remoteCount}:${held}`;
    if ((await this.redis.hget(attemptedKey, studyInstanceUid)) === state) return;

    if (!ctx.markedSyncing) {
      ctx.markedSyncing = true;
      await this.repository.setStatusSyncing(archive.id);
    }
    const rejections: string[] = [];
    try {
      for (const resource of await this.resourcesToRetrieve(client, studyInstanceUid, local)) {
        // The next instances download while earlier ones are stored and indexed.
        const pipeline = new IngestPipeline();
        let failure: unknown = null;
        await client
          .retrieve(resource, () => this.ingest.newIncomingPath(), (part) => pipeline.push(part.size, () => this.ingestPart(ctx, part, rejections)))
          .catch((err) => (failure = err));
        await pipeline.drain().catch((err) => (failure ??= err));
        if (failure) throw failure;
      }
    } catch (err) {
      // The archive answered, but not for this study: note it, retry it on later runs, go on with the others.
      // Network errors, time-outs and refused credentials stop the run (the archive is the problem).
      if (!(err instanceof ArchiveError) || err.status === undefined || [401, 403, 407, 429].includes(err.status)) throw err;
      if (err.status === 404 || err.status === 410) {
        await this.redis.srem(retryKey, studyInstanceUid);
        return;
      }
      ctx.warnings.push(`Study ${studyInstanceUid}: ${err.message}`);
      await this.redis.sadd(retryKey, studyInstanceUid);
      if (ctx.warnings.length > MAX_STUDY_FAILURES_PER_RUN) throw new ArchiveError(`${ctx.warnings.length} studies could not be retrieved; last: ${err.message}`, err.status);
      return;
    }
    ctx.stats.retrieved++;
    ctx.changed = true;
    await this.redis.srem(retryKey, studyInstanceUid);
    await this.repository.attribute(archive.id, archive.hospitalId, studyInstanceUid);

    const after = (await this.repository.localStudy(archive.hospitalId, studyInstanceUid))?.numInstances ?? 0;
    if (remoteCount !== null && after < remoteCount) {
      await this.redis.hset(attemptedKey, studyInstanceUid, `${remoteCount}:${after}`);
      await this.redis.pexpire(attemptedKey, 7 * DAY_MS);
      const why = rejections.length ? `: ${[...new Set(rejections)].slice(0, 3).join(' | ')}` : '';
      ctx.warnings.push(`Study ${studyInstanceUid}: ${after} of ${remoteCount} instances stored${why}`);
    } else {
      await this.redis.hdel(attemptedKey, studyInstanceUid);
    }
  }

  /** The whole study when nothing of it is here; otherwise only the series that have more instances in the archive. */
  private async resourcesToRetrieve(client: ArchiveClient, studyUid: string, local: Awaited<ReturnType<ArchiveSyncRepository['localStudy']>>): Promise<string[]> {
    const whole = [`studies/${studyUid}`];
    if (!local || local.numInstances === 0) return whole;
    const remote = await client.listSeries(studyUid);
    const held = new Map(local.series.map((s) => [s.seriesInstanceUid, s.numInstances]));
    const behind = remote.filter((s) => s.numInstances === null || (held.get(s.seriesInstanceUid) ?? 0) < s.numInstances);
    if (behind.length === 0 || behind.length === remote.length) return whole;
    return behind.filter((s) => isDicomUidText(s.seriesInstanceUid)).map((s) => `studies/${studyUid}/series/${s.seriesInstanceUid}`);
  }

  private async ingestPart(ctx: RunContext, part: ReceivedPart, rejections: string[]): Promise<void> {
    const type = (part.headers['content-type'] ?? 'application/dicom').split(';')[0].trim().toLowerCase();
    if (type !== 'application/dicom') {
      await fs.rm(part.path, { force: true });
      ctx.stats.rejected++;
      rejections.push(`part ${part.index} is ${type}, not application/dicom`);
      return;
    }
    const result = await this.ingest.ingestFile(ctx.archive.hospitalId, part.path, { kind: 'PULL', archiveId: ctx.archive.id }, part.data);
    if (result.ok) {
      if (result.duplicate) ctx.stats.duplicates++;
      else ctx.stats.stored++;
    } else {
      ctx.stats.rejected++;
      rejections.push(result.message);
      this.logger.warn({ archiveId: ctx.archive.id, sop: result.sopInstanceUid, reason: result.message }, 'pulled instance rejected');
    }
  }
}
