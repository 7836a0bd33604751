import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { closeRedis, handleSubscribeFailures } from '../redis/close-redis.js';
import { RedisService } from '../redis/redis.service.js';

/** What changed, for the caches that hold copies of it. `null`: everything of that kind. */
export interface Invalidations {
  /**
   * Worklist items changed (created, claimed, released, re-routed, breached…): every case of these
   * hospitals (null: of all hospitals), and/or the cases of these queues, "hospitalId:SUBSPECIALTY"
   * (what WorklistEvents knows of each change, so a case drops only the pages that may show it),
   * and/or these cases only, where the change leaves every list's members and order as they were
   * (a lease renewed, a breach marked): only the pages listing them.
   */
  worklist: { hospitalIds?: readonly string[] | null; queues?: readonly string[]; items?: readonly string[] };
  /** Accounts, licenses, privileges or a network's hospitals changed: who may see what. */
  credentials: { userIds: readonly string[] | null };
}

export type Topic = keyof Invalidations;

/** The cases of one hospital routed to one subspecialty, as named in worklist invalidations. */
export const worklistQueue = (hospitalId: string, subspecialty: string) => `${hospitalId}:${subspecialty}`;

/** One case, as named in worklist invalidations of `items` (the pages that list it). */
export const worklistCase = (itemId: string) => `case:${itemId}`;

interface Message {
  from: string;
  topic: Topic;
  data: Invalidations[Topic];
}

/**
 * Tells every backend process's caches that something changed: applied in this process at once,
 * then published on a Redis channel (prefixed with QUEUE_PREFIX, like the queues) that every
 * process subscribes to. Caches are only trusted while the subscription is up (`live`): when it
 * drops nothing is served from them, and when it comes back they start empty (whatever was said
 * meanwhile is lost).
 */
@Injectable()
export class InvalidationBus implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(InvalidationBus.name);
  private readonly id = randomUUID();
  private readonly channel: string;
  private readonly handlers = new Map<Topic, ((data: never) => void)[]>();
  private readonly resets: (() => void)[] = [];
  private sub?: Redis;
  private subscribed = false;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly redis: RedisService,
  ) {
    this.channel = `${config.QUEUE_PREFIX}:cache-invalidation`;
  }

  /** Whether invalidations from other processes reach this one right now. */
  get live(): boolean {
    return this.subscribed;
  }

  on<T extends Topic>(topic: T, handler: (data: Invalidations[T]) => void): void {
    const list = this.handlers.get(topic) ?? [];
    list.push(handler as (data: never) => void);
    this.handlers.set(topic, list);
  }

  /** Called whenever caches must start over (the subscription was (re)established). */
  onReset(handler: () => void): void {
    this.resets.push(handler);
  }

  /**
   * Applies the invalidation here (synchronously, before the first await) and tells the other
   * processes. Resolves once Redis has handed it to every subscriber; never throws (a process
   * that cannot be told has lost its subscription too, or its TTL catches up).
   */
  async publish<T extends Topic>(topic: T, data: Invalidations[T]): Promise<void> {
    this.apply(topic, data);
    try {
      await this.redis.publish(this.channel, JSON.stringify({ from: this.id, topic, data } satisfies Message));
    } catch (err) {
      this.logger.warn(`cache invalidation (${topic}) not published to other processes: ${(err as Error).message}`);
    }
  }

  async onModuleInit(): Promise<void> {
    // Its own connection: a subscribed connection cannot run other commands.
    const sub = this.redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null, lazyConnect: true });
    this.sub = sub;
    sub.on('error', (err: Error) => this.logger.warn(`Redis for cache invalidation: ${err.message}`));
    handleSubscribeFailures(sub, (message) => this.logger.warn(`Redis for cache invalidation: ${message}`));
    sub.on('close', () => {
      if (this.subscribed) this.logger.warn('cache invalidation channel lost: caches bypassed until it is back');
      this.subscribed = false;
    });
    sub.on('ready', () => {
      // ioredis re-subscribes on reconnect; subscribing again is harmless and tells us when it holds.
      sub.subscribe(this.channel).then(
        () => {
          this.reset();
          this.subscribed = true;
        },
        (err: Error) => this.logger.warn(`cache invalidation channel not subscribed: ${err.message}`),
      );
    });
    sub.on('message', (channel: string, raw: string) => {
      if (channel !== this.channel) return;
      let message: Message;
      try {
        message = JSON.parse(raw) as Message;
      } catch {
        return;
      }
      if (message.from !== this.id) this.apply(message.topic, message.data);
    });
    // Boot does not wait for Redis: until subscribed, caches are simply bypassed.
    sub.connect().catch(() => undefined);
  }

  async onModuleDestroy(): Promise<void> {
    this.subscribed = false;
    if (this.sub) await closeRedis(this.sub);
  }

  private apply(topic: Topic, data: Invalidations[Topic]): void {
    for (const handler of this.handlers.get(topic) ?? []) {
      try {
        (handler as (d: Invalidations[Topic]) => void)(data);
      } catch (err) {
        this.logger.error(`cache invalidation handler (${topic}) failed: ${(err as Error).message}`);
        this.reset();
      }
    }
  }

  private reset(): void {
    for (const reset of this.resets) reset();
  }
}
