// What the benches share: building the backend, a migrated scratch database, a free port.
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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
