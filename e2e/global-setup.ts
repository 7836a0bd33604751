import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { freePort } from './ports.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    webUrl: string;
    apiUrl: string;
  }
}

async function waitForHttp(url: string, proc: ChildProcess, logFile: string, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`${url}: process exited (${proc.exitCode}); log:\n${fs.readFileSync(logFile, 'utf8').slice(-3000)}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not come up; log:\n${fs.readFileSync(logFile, 'utf8').slice(-3000)}`);
}

function start(cmd: string, args: string[], env: Record<string, string>, cwd: string, logFile: string) {
  const out = fs.openSync(logFile, 'a');
  return spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', out, out], detached: true });
}

/** Database, migrations, demo seed, backend and web app: the platform as `npm run demo` runs it. */
export default async function setup(project: TestProject) {
  for (const built of ['backend/dist/main.js', 'frontend/.next/BUILD_ID']) {
    if (!fs.existsSync(path.join(root, built))) throw new Error(`${built} is missing: run \`npm test\` (it builds first)`);
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'teleread-e2e-'));
  const dbName = `teleread_e2e_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${dbName}`;
  const [apiPort, webPort, dicomPort] = [await freePort(), await freePort(), await freePort()];
  const env = {
    DATABASE_URL: dbUrl.toString(),
    STORAGE_DIR: path.join(work, 'storage'),
    PORT: String(apiPort),
    DICOM_PORT: String(dicomPort),
    LOG_LEVEL: 'warn',
    DEMO_STUDIES: '12',
    STUDY_STABLE_SECONDS: '2',
  };
  for (const [script, args] of [['prisma/migrate.mjs', ['deploy']], ['backend/dist/seed/main.js', []]] as const) {
    const r = spawnSync(process.execPath, [script, ...args], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${script} failed:\n${r.stdout}\n${r.stderr}`);
  }
  const backendLog = path.join(work, 'backend.log');
  const webLog = path.join(work, 'web.log');
  const backend = start(process.execPath, ['backend/dist/main.js'], env, root, backendLog);
  const web = start(path.join(root, 'node_modules/.bin/next'), ['start', '-p', String(webPort), '-H', '127.0.0.1'], { API_URL: `http://127.0.0.1:${apiPort}` }, path.join(root, 'frontend'), webLog);
  const stop = async () => {
    for (const p of [web, backend]) {
      try {
        process.kill(-p.pid!, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
    await new Promise((r) => setTimeout(r, 500));
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    fs.rmSync(work, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`http://127.0.0.1:${apiPort}/health`, backend, backendLog);
    await waitForHttp(`http://127.0.0.1:${webPort}/login`, web, webLog);
  } catch (err) {
    await stop();
    throw err;
  }
  project.provide('apiUrl', `http://127.0.0.1:${apiPort}`);
  project.provide('webUrl', `http://127.0.0.1:${webPort}`);
  return stop;
}
