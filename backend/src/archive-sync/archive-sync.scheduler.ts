import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { QueueService } from '../jobs/queue.service.js';
import { ArchiveSyncRepository } from './archive-sync.repository.js';
import { ArchiveSyncService } from './archive-sync.service.js';

/** Archives synced at the same time by one worker process; each run is I/O-bound and bounded by time-outs. */
const CONCURRENCY = 16;
/** Schedulers are re-checked against the archive table this often (Redis flushed, registration while Redis was down). */
const RECONCILE_MS = 60_000;
const PREFIX = 'archive-sync:';

/**
 * One BullMQ job scheduler per archive (`archive-sync:<archiveId>`, every
 * ARCHIVE_SYNC_SECONDS), upserted when an archive is registered and for every
 * archive at bootstrap; the worker runs ArchiveSyncService for the archive of each job.
 * Archives are independent jobs processed concurrently, so one that is down or slow
 * never holds up the others.
 */
@Injectable()
export class ArchiveSyncScheduler implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ArchiveSyncScheduler.name);
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly queues: QueueService,
    private readonly repository: ArchiveSyncRepository,
    private readonly sync: ArchiveSyncService,
  ) {}

  onModuleInit(): void {
    this.queues.process(
      'archive-sync',
      async (job) => {
        const outcome = await this.sync.run(job.data.archiveId);
        if (outcome === 'missing') await this.unschedule(job.data.archiveId);
        return outcome;
      },
      { concurrency: CONCURRENCY },
    );
  }

  onApplicationBootstrap(): void {
    // Not awaited: boot must not wait for (or fail on) Redis; the reconcile loop retries.
    void this.reconcile(true);
    this.timer = setInterval(() => void this.reconcile(false), RECONCILE_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /**
   * Starts (or updates) the periodic sync of one archive. Idempotent. `firstInMs` delays
   * the first run (a new registration answers before its first sync changes its status).
   */
  async schedule(archiveId: string, firstInMs = 0): Promise<void> {
    await this.queues.queue('archive-sync').upsertJobScheduler(
      `${PREFIX}${archiveId}`,
      { every: this.config.ARCHIVE_SYNC_SECONDS * 1000, ...(firstInMs > 0 ? { startDate: Date.now() + firstInMs } : {}) },
      { name: 'archive-sync', data: { archiveId }, opts: { removeOnComplete: true, removeOnFail: 100 } },
    );
  }

  /**
   * A newly registered archive: its first sync runs about a second after the registration
   * has answered. Never blocks or throws (Redis down → the reconcile loop schedules it later).
   */
  start(archiveId: string): void {
    this.schedule(archiveId, 1000).catch((err) => this.logger.warn({ err, archiveId }, 'could not schedule archive sync yet; the reconcile loop will'));
  }

  async unschedule(archiveId: string): Promise<void> {
    await this.queues.queue('archive-sync').removeJobScheduler(`${PREFIX}${archiveId}`);
  }

  /** Every active archive has its scheduler (all upserted when `all`), and no scheduler outlives its archive. */
  private async reconcile(all: boolean): Promise<void> {
    if (this.stopped) return;
    try {
      const ids = new Set(await this.repository.activeArchiveIds());
      const queue = this.queues.queue('archive-sync');
      const existing = await queue.getJobSchedulers(0, -1);
      for (const s of existing) {
        const id = s.key.startsWith(PREFIX) ? s.key.slice(PREFIX.length) : null;
        if (id && !ids.has(id)) await queue.removeJobScheduler(s.key);
      }
      const every = this.config.ARCHIVE_SYNC_SECONDS * 1000;
      const current = new Map(existing.map((s) => [s.key, s.every]));
      for (const id of ids) {
        if (all || current.get(`${PREFIX}${id}`) !== every) await this.schedule(id);
      }
    } catch (err) {
      if (!this.stopped) this.logger.warn({ err }, 'could not reconcile archive sync schedules; retrying later');
    }
  }
}
