import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { closeRedis } from './close-redis.js';

/** Shared Redis connection for counters and caches (BullMQ opens its own). */
@Injectable()
export class RedisService extends Redis implements OnModuleDestroy {
  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    super(config.REDIS_URL, {
      // Fail fast instead of queueing commands forever while Redis is down:
      // /health must answer 503 promptly and logins must not hang.
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      connectTimeout: 2_000,
      lazyConnect: false,
    });
    // Reconnection is automatic; errors are reported through /health, not crashes.
    this.on('error', () => undefined);
  }

  async onModuleDestroy(): Promise<void> {
    await closeRedis(this);
  }
}
