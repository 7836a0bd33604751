import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import pg from 'pg';
import { inject } from 'vitest';
import { AppModule } from '../src/app.module.js';
import { configureApp } from '../src/app.setup.js';
import { APP_CONFIG, loadConfig, type AppConfig } from '../src/config/config.js';
import { PrismaService } from '../src/database/prisma.service.js';

/** A fresh database for one test file, cloned from the migrated template. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = inject('pgAdminUrl');
  const name = `teleread_t_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject('templateDb')}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface TestApp {
  app: NestExpressApplication;
  baseUrl: string;
  prisma: PrismaService;
  config: AppConfig;
  /** keepQueues: leave the queue keys in Redis for a next app with the same QUEUE_PREFIX (a restart). */
  close: (opts?: { keepQueues?: boolean }) => Promise<void>;
}

/** Cheap argon2 in tests; everything else as in production. */
export const TEST_ENV = {
  ARGON2_MEMORY_KIB: '1024',
  ARGON2_TIME_COST: '1',
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  NODE_ENV: 'test',
};

/** Boots the real application on an ephemeral port against the given database. */
export async function startApp(databaseUrl: string, env: Record<string, string> = {}): Promise<TestApp> {
  // Private image store and queue namespace per app, so test files never see each other's work.
  const storageDir = await fs.mkdtemp(path.join(os.tmpdir(), 'teleread-store-'));
  const queuePrefix = env.QUEUE_PREFIX ?? `test_${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    ...process.env,
    ...TEST_ENV,
    DATABASE_URL: databaseUrl,
    PORT: '0',
    DICOM_PORT: '0',
    STORAGE_DIR: storageDir,
    QUEUE_PREFIX: queuePrefix,
    ...env,
  });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(APP_CONFIG)
    .useValue(config)
    .compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, logger: process.env.TEST_LOG_LEVEL ? undefined : false });
  configureApp(app);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return {
    app,
    baseUrl: `http://127.0.0.1:${address.port}`,
    prisma: app.get(PrismaService),
    config,
    close: async ({ keepQueues = false } = {}) => {
      await app.close();
      const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 1000, lazyConnect: true });
      try {
        await redis.connect();
        const keys = keepQueues ? [] : await redis.keys(`${queuePrefix}:*`);
        if (keys.length) await redis.del(...keys);
      } catch {
        /* that Redis is gone (a test stopped it): nothing to clean */
      } finally {
        redis.disconnect();
      }
      if (!env.STORAGE_DIR) await fs.rm(storageDir, { recursive: true, force: true });
    },
  };
}

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** Minimal JSON HTTP client for tests (real sockets, no supertest magic). */
export function client(baseUrl: string) {
  async function call<T = any>(method: string, path: string, opts: { token?: string; apiKey?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.apiKey) headers.authorization = `ApiKey ${opts.apiKey}`;
    let body: string | undefined;
    if (opts.raw !== undefined) {
      body = opts.raw;
      headers['content-type'] ??= 'application/json';
    } else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(baseUrl + path, { method, headers, body });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }
  return {
    call,
    get: <T = any>(path: string, opts?: Parameters<typeof call>[2]) => call<T>('GET', path, opts),
    post: <T = any>(path: string, body?: unknown, opts?: Parameters<typeof call>[2]) => call<T>('POST', path, { ...opts, body }),
    async login(email: string, password = PASSWORD) {
      const r = await call('POST', '/api/auth/login', { body: { email, password } });
      if (r.status !== 200) throw new Error(`login ${email} failed: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body as { accessToken: string; refreshToken: string; user: { id: string; role: string } };
    },
  };
}

export const PASSWORD = 'correct horse battery staple';

/** Polls until `fn` returns a truthy value (errors count as not yet); no fixed sleeps in assertions. */
export async function waitFor<T>(label: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every patient an audit event names (its own, and its patient set's), sorted. */
export async function auditedPatients(prisma: PrismaService, event: { patientIds: string[]; patientSetDigest: string | null }): Promise<string[]> {
  const set = event.patientSetDigest ? await prisma.auditPatientSet.findUniqueOrThrow({ where: { digest: event.patientSetDigest } }) : null;
  return [...new Set([...event.patientIds, ...(set?.patientIds ?? [])])].sort();
}
