import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { QueueService } from '../jobs/queue.service.js';
import { RedisService } from '../redis/redis.service.js';
import { slaEscalationJobs } from '../worklist/sla.js';
import { levelsToSchedule } from './escalation-plan.js';
import { EscalationRepository } from './escalation.repository.js';

/** Open cases read per database round trip (and job keys checked per Redis pipeline). */
const PAGE = 2_000;
const BOOT_RETRY_MS = 5_000;

export interface SweepResult {
  cases: number;
  added: number;
  retried: number;
}

/**
 * Re-creates SLA escalation jobs from the database. Redis keeps nothing on disk here, so a
 * restarted Redis has lost every delayed job; this runs at boot and every SLA_SWEEP_SECONDS (one
 * process per period across replicas, by a Redis lock). Cheap for 100k open cases: one keyset page
 * of cases at a time, at most two jobs per case (the latest level due if it never fired, and the
 * next one ahead; each processed level schedules the one after it), the job ids checked with
 * pipelined EXISTS, and only the missing jobs added (deterministic ids make a racing add a no-op).
 * Correctness does not rest on job ids (completed jobs are deleted): the processor's
 * SlaEscalation row is what makes a re-run fire nothing.
 */
@Injectable()
export class SlaSweepService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(SlaSweepService.name);
  private timer?: NodeJS.Timeout;
  private bootRetry?: NodeJS.Timeout;
  private stopped = false;
  private running?: Promise<SweepResult>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly queues: QueueService,
    private readonly redis: RedisService,
    private readonly repository: EscalationRepository,
  ) {}

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
      const lock = `${this.config.QUEUE_PREFIX}:sla-sweep:lock`;
      const won = await this.redis.set(lock, randomUUID(), 'PX', Math.max(1_000, this.config.SLA_SWEEP_SECONDS * 1000 - 500), 'NX');
      if (!won && !atBoot) return;
      const r = await this.sweep();
      if (r.added || r.retried) this.logger.log(r, 'SLA escalation jobs re-scheduled');
    } catch (err) {
      this.logger.warn({ err }, 'SLA sweep failed');
      // Redis or the database not there yet at boot: try again soon rather than a period later.
      if (atBoot && !this.stopped) this.bootRetry = setTimeout(() => void this.tick(true), BOOT_RETRY_MS).unref();
    }
  }

  /** One pass over the open cases; concurrent calls share the pass in progress. */
  sweep(now = Date.now()): Promise<SweepResult> {
    this.running ??= this.sweepAll(now).finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweepAll(now: number): Promise<SweepResult> {
    const queue = this.queues.queue('sla-escalation');
    const result: SweepResult = { cases: 0, added: 0, retried: 0 };
    for (let after: string | null = null; ; ) {
      const page = await this.repository.openCasesAfter(after, PAGE);
      if (page.length === 0) return result;
      after = page[page.length - 1].id;
      result.cases += page.length;

      const wanted = page.flatMap((c) => {
        const levels = levelsToSchedule(c, c.fired, now);
        return slaEscalationJobs(c, now).filter((j) => levels.includes(j.data.level));
      });
      if (wanted.length === 0) continue;
      const pipeline = this.redis.pipeline();
      for (const j of wanted) pipeline.exists(queue.toKey(j.opts.jobId));
      const exists = (await pipeline.exec()) ?? [];
      const missing = new Set(wanted.filter((_, i) => exists[i]?.[1] !== 1));
      if (missing.size) {
        await this.queues.addBulk('sla-escalation', [...missing]);
        result.added += missing.size;
      }
      // A job that used up its attempts (database down for minutes) stays failed under its id and
      // blocks a re-add; retry those whose level is due and still has not fired.
      for (const j of wanted) {
        if (j.opts.delay > 0 || missing.has(j)) continue;
        if ((await queue.getJobState(j.opts.jobId)) !== 'failed') continue;
        await (await queue.getJob(j.opts.jobId))?.retry('failed');
        result.retried++;
      }
    }
  }
}
