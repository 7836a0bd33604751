// What the benches share: building the backend, a migrated scratch database, a free port,
// starting the platform, undoing it all at exit.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** tsc into backend/dist; tsc still emits on type errors, and one elsewhere need not stop a measurement. */
export function buildBackend(log) {
  log('building the backend');
  try {
    execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'backend/tsconfig.build.json')], { stdio: 'inherit' });
  } catch {
    log('the backend build reported errors (above); measuring the JavaScript it emitted');
  }
}

/** Creates and migrates `dbName`; registers its removal (unless keep) in `cleanups`. Returns its URL. */
export async function scratchDatabase(adminUrl, dbName, keep, cleanups) {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  cleanups.push(async () => {
    if (!keep) await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  });
  const dbUrl = new URL(adminUrl);
  dbUrl.pathname = `/${dbName}`;
  execFileSync(process.execPath, [path.join(root, 'prisma/migrate.mjs'), 'deploy'], { env: { ...process.env, DATABASE_URL: dbUrl.toString() }, stdio: 'pipe' });
  return dbUrl;
}

export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Undo steps run last-first at exit (and on Ctrl-C); a failing step is logged, the rest still run. */
export function cleanupStack(log) {
  const cleanups = [];
  const cleanup = async () => {
    while (cleanups.length) {
      try {
        await cleanups.pop()();
      } catch (err) {
        log('cleanup:', err.message);
      }
    }
  };
  process.on('SIGINT', () => cleanup().then(() => process.exit(130)));
  return { cleanups, cleanup };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the built backend (backend/dist/main.js, or PLATFORM_MAIN) on a free port with its own
 * queue prefix and image store under `workDir`, as in production but quieter (LOG_LEVEL=warn unless
 * set). Registers in `cleanups` its stop (SIGTERM, then SIGKILL after 15 s) and, after it, the
 * removal of its queue keys. Resolves once /health answers.
 *   env: extra environment; nodeArgs: e.g. ['--cpu-prof', ...]; logFile: its output (else stderr only).
 */
export async function startPlatform({ databaseUrl, workDir, cleanups, env = {}, nodeArgs = [], logFile }) {
  const port = await freePort();
  const queuePrefix = `bench_${randomBytes(4).toString('hex')}`;
  const storage = path.join(workDir, 'store');
  const out = logFile ? fs.openSync(logFile, 'a') : 'ignore';
  const child = spawn(process.execPath, [...nodeArgs, process.env.PLATFORM_MAIN ?? path.join(root, 'backend/dist/main.js')], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      DATABASE_URL: String(databaseUrl),
      PORT: String(port),
      DICOM_PORT: '0',
      STORAGE_DIR: storage,
      QUEUE_PREFIX: queuePrefix,
      ...env,
    },
    stdio: ['ignore', out, logFile ? out : 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  cleanups.push(() => dropKeys(`${queuePrefix}:*`));
  cleanups.push(async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(15_000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const url = `http://127.0.0.1:${port}`;
  const seeLog = logFile ? `; see ${logFile}` : '';
  for (const deadline = Date.now() + 60_000; ; ) {
    if (child.exitCode !== null) throw new Error(`the platform exited during startup (code ${child.exitCode})${seeLog}`);
    if (await fetch(`${url}/health`).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) throw new Error(`the platform did not become healthy within 60 s${seeLog}`);
    await sleep(200);
  }
  return { url, port, storage, queuePrefix, child };
}

/** Removes the Redis keys matching `pattern` (a finished platform's queues); Redis gone: nothing to do. */
async function dropKeys(pattern) {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    for (let cursor = '0'; ; ) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      if ((cursor = next) === '0') break;
    }
  } catch {
    /* Redis gone: nothing to clean */
  } finally {
    redis.disconnect();
  }
}
