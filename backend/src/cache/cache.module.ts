import { Global, Module } from '@nestjs/common';
import { AccountCache } from './account-cache.js';
import { InvalidationBus } from './invalidation-bus.js';

/** Cross-process cache invalidation and the per-request account cache; global like the database. */
@Global()
@Module({ providers: [InvalidationBus, AccountCache], exports: [InvalidationBus, AccountCache] })
export class CacheModule {}
