import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { UsersRepository, type Account } from '../users/users.repository.js';
import { InvalidationBus } from './invalidation-bus.js';
import { TaggedCache } from './tagged-cache.js';

/** Accounts kept per process (a row is a few hundred bytes). */
const MAX_ACCOUNTS = 20_000;

/**
 * The account row behind every request (role, active, subspecialties), re-read at most every
 * ACCESS_CACHE_SECONDS and at once, in every process, when it is changed through the platform
 * (InvalidationBus 'credentials'). Rows are shared: never mutate one.
 */
@Injectable()
export class AccountCache {
  private readonly ttlMs: number;
  private readonly cache: TaggedCache<string, Account | null>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly users: UsersRepository,
    bus: InvalidationBus,
  ) {
    this.ttlMs = config.ACCESS_CACHE_SECONDS * 1000;
    this.cache = new TaggedCache({ maxWeight: MAX_ACCOUNTS, enabled: () => this.ttlMs > 0 && bus.live });
    bus.on('credentials', ({ userIds }) => (userIds ? this.cache.invalidate(userIds) : this.cache.clear()));
    bus.onReset(() => this.cache.clear());
  }

  find(userId: string): Promise<Account | null> {
    return this.cache.get(userId, [userId], async () => {
      const user = await this.users.findAccount(userId);
      // An unknown id is not remembered: it may be created a moment later.
      return { value: user, ttlMs: user ? this.ttlMs : 0 };
    });
  }
}
