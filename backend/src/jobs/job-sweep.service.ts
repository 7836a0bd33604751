import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { JobsOptions } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { RedisService } from '../redis/redis.service.js';
import type { JobPayloads, QueueName } from './jobs.js';
import { QueueService } from './queue.service.js';

/** Rows read per database round trip (and so at most this many jobs per Redis pipeline and bulk add). */
export const SWEEP_PAGE = 2_000;
const BOOT_RETRY_MS = 5_000;

/** A job the database says should exist, built by the producer's own helper (same id, same options). */
export interface SweptJob<N extends QueueName = QueueName> {
  data: JobPayloads[N];
  /** Known by `jobId`, or (debounced jobs without a fixed id) by `deduplication.id`. No delay: due now. */
  opts: JobsOptions;
  /** Other ids under which a live job does the same work: if one exists and has not failed, nothing is added. */
  alsoAs?: readonly string[];
}

/** One kind of job to keep: the rows that need one, read in keyset pages by id, and the jobs a page needs. */
export interface SweepSource<N extends QueueName, Row extends { id: string }> {
  read(afterId: string | null, limit: number): Promise<Row[]>;
  jobs(rows: Row[], now: number): SweptJob<N>[];
}

export interface QueueSweep {
  rows: number;
  added: number;
  retried: number;
}

export interface SweepResult {
  added: number;
  retried: number;
  queues: Partial<Record<QueueName, QueueSweep>>;
}

type AnySource = SweepSource<QueueName, { id: string }>;

/**
 * Re-creates lost jobs from the database. Redis keeps nothing on disk here, so a restarted Redis
 * has lost every job; this runs at boot and every SLA_SWEEP_SECONDS (one process per period across
 * replicas, by a Redis lock). Features register what they need kept (SLA escalations, claim
 * leases, auto-assignment, study completion), so this module knows none of them. Cheap for 100k
 * open cases: one keyset page of rows at a time, the job ids checked with pipelined EXISTS, and
 * only the missing jobs added (deterministic ids make a racing add a no-op). Correctness does not
 * rest on the sweep: every processor is idempotent, so a job added twice does nothing the second time.
 */
@Injectable()
export class JobSweepService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(JobSweepService.name);
  private readonly sources: [QueueName, AnySource][] = [];
  private timer?: NodeJS.Timeout;
  private bootRetry?: NodeJS.Timeout;
  private stopped = false;
  private running?: Promise<SweepResult>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly queues: QueueService,
    private readonly redis: RedisService,
  ) {}

  /** Called from a feature's onModuleInit (before the boot sweep, which runs at application bootstrap). */
  register<N extends QueueName, Row extends { id: string }>(queue: N, source: SweepSource<N, Row>): void {
    this.sources.push([queue, source as unknown as AnySource]);
  }

  onApplicationBootstrap(): void {
    if (!this.config.WORKERS_ENABLED) return;
    // Not awaited: boot must not wait for (or fail on) Redis; the periodic sweep retries.
    void this.tick(true);
    this.timer = setInterval(() => void this.tick(false), this.config.SLA_SWEEP_SECONDS * 1000);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.bootRetry);
  }

  private async tick(atBoot: boolean): Promise<void> {
    try {
      // Every process sweeps at boot (its own Redis may be the fresh one); afterwards one per period.
      const lock = `${this.config.QUEUE_PREFIX}:job-sweep:lock`;
      const won = await this.redis.set(lock, randomUUID(), 'PX', Math.max(1_000, this.config.SLA_SWEEP_SECONDS * 1000 - 500), 'NX');
      if (!won && !atBoot) return;
      const r = await this.sweep();
      if (r.added || r.retried) this.logger.log(r, 'lost jobs re-created');
    } catch (err) {
      this.logger.warn({ err }, 'job sweep failed');
      // Redis or the database not there yet at boot: try again soon rather than a period later.
      if (atBoot && !this.stopped) this.bootRetry = setTimeout(() => void this.tick(true), BOOT_RETRY_MS).unref();
    }
  }

  /** One pass over every registered kind of job; concurrent calls share the pass in progress. */
  sweep(now = Date.now()): Promise<SweepResult> {
    this.running ??= this.sweepAll(now).finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweepAll(now: number): Promise<SweepResult> {
    const result: SweepResult = { added: 0, retried: 0, queues: {} };
    const failures: unknown[] = [];
    for (const [name, source] of this.sources) {
      const r: QueueSweep = (result.queues[name] = { rows: 0, added: 0, retried: 0 });
      try {
        for (let after: string | null = null; ; ) {
          const rows = await source.read(after, SWEEP_PAGE);
          if (rows.length === 0) break;
          after = rows[rows.length - 1].id;
          r.rows += rows.length;
          const done = await this.restore(name, source.jobs(rows, now));
          r.added += done.added;
          r.retried += done.retried;
        }
      } catch (err) {
        // One kind failing must not keep the others from being restored.
        failures.push(err);
      } finally {
        result.added += r.added;
        result.retried += r.retried;
      }
    }
    if (failures.length) throw new AggregateError(failures, `job sweep: ${failures.length} kind(s) failed (${result.added} added meanwhile)`);
    return result;
  }

  /** Adds those of `wanted` that Redis does not hold, and retries those that used up their attempts. */
  private async restore(name: QueueName, wanted: SweptJob[]): Promise<{ added: number; retried: number }> {
    if (wanted.length === 0) return { added: 0, retried: 0 };
    const queue = this.queues.queue(name);
    const pipeline = this.redis.pipeline();
    // Per id: does its key exist, and is it in the failed set. A debounced job has no fixed id: its
    // deduplication key stands for it (it lives while the job waits, and goes when the job ends).
    const check = (id: string) => pipeline.exists(queue.toKey(id)).zscore(queue.keys.failed, id);
    for (const j of wanted) {
      if (j.opts.jobId) check(j.opts.jobId);
      else pipeline.exists(`${queue.keys.de}:${j.opts.deduplication!.id}`);
      for (const id of j.alsoAs ?? []) check(id);
    }
    const replies = (await pipeline.exec()) ?? [];
    const broken = replies.find(([err]) => err);
    if (broken) throw broken[0];
    let at = 0;
    const next = () => replies[at++]?.[1];
    const state = () => ({ exists: next() === 1, failed: next() !== null });

    const missing: SweptJob[] = [];
    const toRetry: string[] = [];
    for (const j of wanted) {
      const own = j.opts.jobId ? state() : { exists: next() === 1, failed: false };
      const covered = (j.alsoAs ?? []).map(state).some((s) => s.exists && !s.failed);
      if (covered) continue;
      if (!own.exists) missing.push(j);
      // A job that used up its attempts (database down for minutes) stays failed under its id and
      // blocks a re-add; retry those that are due.
      else if (own.failed && !j.opts.delay) toRetry.push(j.opts.jobId!);
    }
    if (missing.length) await this.queues.addBulk(name, missing);
    let retried = 0;
    for (const id of toRetry) {
      const job = await queue.getJob(id);
      if (!job || (await job.getState()) !== 'failed') continue;
      await job.retry('failed');
      retried++;
    }
    return { added: missing.length, retried };
  }
}
