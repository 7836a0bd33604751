import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Queue, Worker, type Job, type JobsOptions, type WorkerOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { requestContext } from '../common/request-context.js';
import { closeRedis } from '../redis/close-redis.js';
import type { JobPayloads, QueueName } from './jobs.js';

/**
 * BullMQ queues and workers over one blocking-safe Redis connection per role.
 * Processors run inside a request context (principal-less, requestId = job id),
 * so audit and logs can tell which job did what.
 */
@Injectable()
export class QueueService implements OnApplicationShutdown {
  private readonly logger = new Logger(QueueService.name);
  private readonly queues = new Map<QueueName, Queue>();
  private readonly workers: Worker[] = [];
  private readonly workerConnections: Redis[] = [];
  private readonly connection: Redis;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    // BullMQ needs maxRetriesPerRequest: null on the connections its workers block on.
    // Reconnect within 2 s of Redis coming back (BullMQ's own default backs off to 20 s): queued STAT
    // work must not wait that long after a Redis restart.
    this.connection = new Redis(config.REDIS_URL, {
      maxRetriesPerRequest: null,
      lazyConnect: true,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    });
    this.connection.on('error', () => undefined);
  }

  queue<N extends QueueName>(name: N): Queue<JobPayloads[N]> {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.config.QUEUE_PREFIX });
      queue.on('error', (err) => this.logger.warn({ err, queue: name }, 'queue error'));
      this.queues.set(name, queue);
    }
    return queue as Queue<JobPayloads[N]>;
  }

  add<N extends QueueName>(name: N, data: JobPayloads[N], opts?: JobsOptions) {
    return (this.queue(name) as Queue).add(name, data, opts);
  }

  addBulk<N extends QueueName>(name: N, jobs: { data: JobPayloads[N]; opts?: JobsOptions }[]) {
    return (this.queue(name) as Queue).addBulk(jobs.map((j) => ({ name, data: j.data, opts: j.opts })));
  }

  /** Registers a processor, unless workers are disabled in this process. */
  process<N extends QueueName>(name: N, handler: (job: Job<JobPayloads[N]>, token?: string) => Promise<unknown>, opts: Partial<WorkerOptions> = {}): void {
    if (!this.config.WORKERS_ENABLED) return;
    const connection = this.connection.duplicate();
    this.workerConnections.push(connection);
    const worker = new Worker<JobPayloads[N]>(
      name,
      (job, token) => requestContext.run({ requestId: `job:${name}:${job.id}`, sourceIp: null }, () => handler(job, token)),
      { connection, prefix: this.config.QUEUE_PREFIX, concurrency: 4, runRetryDelay: 1_000, ...opts },
    );
    worker.on('failed', (job, err) => this.logger.warn({ err, queue: name, jobId: job?.id }, 'job failed'));
    worker.on('error', (err) => this.logger.warn({ err, queue: name }, 'worker error'));
    this.workers.push(worker);
  }

  async onApplicationShutdown(): Promise<void> {
    // Let running jobs finish (BullMQ waits for them), but never hang shutdown on a dead or
    // restarted Redis: an unfinished job is picked up again by another worker (jobs are idempotent).
    // (A second close() call would only return the same pending promise, so we stop waiting instead.)
    await this.settleReconnects(3_000);
    const closing = Promise.allSettled([...this.workers.map((w) => w.close()), ...[...this.queues.values()].map((q) => q.close())]);
    const closed = await Promise.race([closing.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000).unref())]);
    if (!closed) this.logger.warn('queues did not close within 10 s; dropping their connections');
    await Promise.all([...this.workerConnections, this.connection].map((c) => closeRedis(c)));
  }

  /**
   * ioredis never ends a connection that is disconnected while it waits to reconnect, and a worker's
   * close waits for its blocking connection to end: right after a Redis restart that would hang
   * shutdown and then reject the worker's pending commands. Give such connections a moment to come
   * back first (they do within 2 s when Redis is up; when it is down we go on after `withinMs`).
   */
  private async settleReconnects(withinMs: number): Promise<void> {
    const deadline = Date.now() + withinMs;
    const blocking = await Promise.all(this.workers.map((w) => w.getBackend().blockingConnection?.client));
    const clients = [...this.workerConnections, this.connection, ...blocking].filter((c) => c !== undefined);
    const settling = () => clients.some((c) => c.status === 'reconnecting' || c.status === 'connecting' || c.status === 'connect');
    while (settling() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }
}
