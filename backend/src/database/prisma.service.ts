import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';

/** The one database client of a backend process (pool size from DB_POOL_SIZE). */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  /**
   * The connection pool under Prisma, for the few hot paths where Prisma's per-query
   * overhead dominates (instance ingest: one plain SQL round trip costs a fraction of the
   * CPU of the same statement through the client). Everything else goes through Prisma.
   */
  readonly pool: pg.Pool;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const pool = new pg.Pool({
      connectionString: config.DATABASE_URL,
      max: config.DB_POOL_SIZE,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
    });
    super({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
    // An idle connection dropped by the server is replaced on next use; never an unhandled 'error'.
    pool.on('error', () => undefined);
    this.pool = pool;
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
    if (!this.pool.ended) await this.pool.end().catch(() => undefined);
  }
}
