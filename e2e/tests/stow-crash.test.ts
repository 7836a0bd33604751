import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../ports.js';

/**
 * Acceptance: "a STOW interrupted by killing the backend then resent ends with exactly one
 * complete copy". Runs its own backend (own database, storage, ports and queue prefix), not
 * the shared one from global-setup, because it SIGKILLs it halfway through an upload.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const GEN_STUDY = process.env.TELEREAD_GEN_STUDY ?? '/work/shared/peers/gen-study.mjs';
const ADMIN_EMAIL = 'crash-admin@teleread.test';
const ADMIN_PASSWORD = 'crash-test-password-1';
const BOUNDARY = `teleread-crash-${randomBytes(8).toString('hex')}`;

let work: string;
let storageDir: string;
let studyDir: string;
let dbName: string;
let admin: pg.Client;
let db: pg.Client;
let env: Record<string, string>;
let apiUrl: string;
let backend: ChildProcess | undefined;
let backendLog: string;
let starts = 0;

/** Generated study: file bytes, in upload order. */
let files: { path: string; sopInstanceUid: string; bytes: Buffer }[] = [];
let studyInstanceUid: string;
let hospitalId: string;
let apiKey: string;
/** Instance rows present after the kill, before the resend. */
let afterKill: number;
let partsWrittenBeforeKill: number;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function logTail() {
  return fs.existsSync(backendLog) ? fs.readFileSync(backendLog, 'utf8').slice(-3000) : '(no log)';
}

async function startBackend() {
  starts++;
  fs.appendFileSync(backendLog, `\n===== start #${starts} =====\n`);
  const out = fs.openSync(backendLog, 'a');
  const proc = spawn(process.execPath, ['backend/dist/main.js'], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  backend = proc;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`backend exited (${proc.exitCode ?? proc.signalCode}); log:\n${logTail()}`);
    try {
      if ((await fetch(`${apiUrl}/health`)).status === 200) return;
    } catch {
      /* not up yet */
    }
    await sleep(200);
  }
  throw new Error(`backend did not come up; log:\n${logTail()}`);
}

async function killBackend(signal: NodeJS.Signals) {
  const proc = backend;
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill(signal);
  await Promise.race([exited, sleep(10_000)]);
}

/** SOP Instance UID (0008,0018) of an Explicit VR Little Endian Part-10 file. */
function sopInstanceUidOf(file: Buffer): string {
  const tag = Buffer.from([0x08, 0x00, 0x18, 0x00, 0x55, 0x49]); // (0008,0018) UI
  const at = file.indexOf(tag, 132);
  if (at < 0) throw new Error('no SOP Instance UID');
  const len = file.readUInt16LE(at + 6);
  return file.subarray(at + 8, at + 8 + len).toString('latin1').replace(/\0+$/, '').trim();
}

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

const partHead = (first: boolean) => Buffer.from(`${first ? '' : '\r\n'}--${BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n`);
const closing = () => Buffer.from(`\r\n--${BOUNDARY}--\r\n`);

function stowRequest() {
  const url = new URL(`${apiUrl}/dicomweb/studies`);
  return http.request({
    host: url.hostname,
    port: url.port,
    path: url.pathname,
    method: 'POST',
    headers: {
      'Content-Type': `multipart/related; type="application/dicom"; boundary=${BOUNDARY}`,
      Authorization: `ApiKey ${apiKey}`,
      'Transfer-Encoding': 'chunked',
    },
  });
}

/** Writes `chunk`, honouring backpressure; false when the connection is gone. */
async function write(req: http.ClientRequest, chunk: Buffer): Promise<boolean> {
  if (req.destroyed) return false;
  if (req.write(chunk)) return true;
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      req.off('drain', onDrain);
      req.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    req.on('drain', onDrain);
    req.on('close', onClose);
  });
}

async function instanceCount(): Promise<number> {
  const r = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM "Instance" i JOIN "Study" s ON s.id = i."studyId" WHERE s."studyInstanceUid" = $1 AND s."hospitalId" = $2`,
    [studyInstanceUid, hospitalId],
  );
  return Number(r.rows[0].n);
}

async function api<T>(method: string, url: string, token: string, body?: unknown): Promise<T> {
  const res = await fetch(`${apiUrl}${url}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} → ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

beforeAll(async () => {
  if (!fs.existsSync(path.join(root, 'backend/dist/main.js'))) throw new Error('backend/dist/main.js is missing: npm run build -w backend');
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'teleread-stow-crash-'));
  storageDir = path.join(work, 'storage');
  studyDir = path.join(work, 'study');
  backendLog = path.join(work, 'backend.log');

  dbName = `teleread_stowcrash_${randomBytes(4).toString('hex')}`;
  admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${dbName}`;
  const port = await freePort();
  apiUrl = `http://127.0.0.1:${port}`;
  env = {
    DATABASE_URL: dbUrl.toString(),
    STORAGE_DIR: storageDir,
    PORT: String(port),
    DICOM_PORT: '0',
    QUEUE_PREFIX: `stowcrash_${randomBytes(4).toString('hex')}`,
    STUDY_STABLE_SECONDS: '1',
    LOG_LEVEL: 'warn',
    BOOTSTRAP_ADMIN_EMAIL: ADMIN_EMAIL,
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
  };
  const migrate = spawnSync(process.execPath, ['prisma/migrate.mjs', 'deploy'], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
  if (migrate.status !== 0) throw new Error(`migrate failed:\n${migrate.stdout}\n${migrate.stderr}`);
  db = new pg.Client({ connectionString: env.DATABASE_URL });
  await db.connect();

  // 60 slices of 512x512x16 bit with noise: ~30 MiB, one series.
  const gen = spawnSync(process.execPath, [GEN_STUDY, '--out', studyDir, '--seed', '7', '--slices', '60', '--quiet'], { encoding: 'utf8' });
  if (gen.status !== 0) throw new Error(`gen-study failed:\n${gen.stdout}\n${gen.stderr}`);
  const manifest = JSON.parse(fs.readFileSync(path.join(studyDir, 'manifest.json'), 'utf8')) as { studies: { studyInstanceUID: string }[] };
  studyInstanceUid = manifest.studies[0].studyInstanceUID;
  files = listFiles(studyDir)
    .filter((f) => f.endsWith('.dcm'))
    .sort()
    .map((f) => {
      const bytes = fs.readFileSync(f);
      return { path: f, bytes, sopInstanceUid: sopInstanceUidOf(bytes) };
    });
  expect(files.length).toBe(60);
  expect(new Set(files.map((f) => f.sopInstanceUid)).size).toBe(60);

  await startBackend();
  const { accessToken } = await (
    await fetch(`${apiUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
    })
  ).json();
  expect(accessToken).toBeTruthy();
  const hospital = await api<{ id: string }>('POST', '/api/hospitals', accessToken, { name: 'Crash Test General', jurisdiction: 'TX', timezone: 'America/Chicago' });
  hospitalId = hospital.id;
  apiKey = (await api<{ key: string }>('POST', `/api/hospitals/${hospitalId}/api-keys`, accessToken, { name: 'stow-crash' })).key;
  expect(apiKey).toBeTruthy();
}, 180_000);

afterAll(async () => {
  await killBackend('SIGKILL').catch(() => undefined);
  await db?.end().catch(() => undefined);
  if (admin) {
    if (dbName) await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end().catch(() => undefined);
  }
  if (work && !process.env.KEEP_STOW_CRASH) fs.rmSync(work, { recursive: true, force: true });
});

describe('STOW-RS interrupted by a backend crash, then resent', () => {
  it('SIGKILL halfway through the upload keeps the parts received so far', async () => {
    const half = Math.floor(files.length / 2);
    const req = stowRequest();
    let connectionError: Error | null = null;
    req.on('error', (err) => (connectionError = err));
    req.on('response', (res) => res.resume());
    req.flushHeaders();

    // Part k is only complete for the server once the delimiter that opens part k+1 arrives,
    // so after writing `half` parts the server can have finished exactly half-1 of them.
    partsWrittenBeforeKill = 0;
    for (let i = 0; i < half; i++) {
      expect(await write(req, Buffer.concat([partHead(i === 0), files[i].bytes]))).toBe(true);
      partsWrittenBeforeKill++;
      await sleep(40);
    }
    const deadline = Date.now() + 20_000;
    while ((await instanceCount()) < half - 1 && Date.now() < deadline) await sleep(50);
    expect(await instanceCount()).toBe(half - 1);

    // The upload is still open (part `half` in flight, no closing delimiter): kill now.
    await killBackend('SIGKILL');
    expect(backend!.signalCode).toBe('SIGKILL');
    // The client sees the connection drop.
    await write(req, Buffer.from('x'.repeat(64 * 1024)));
    const gone = Date.now() + 5_000;
    while (!connectionError && !req.destroyed && Date.now() < gone) await sleep(20);
    expect(connectionError ?? req.destroyed).toBeTruthy();
    req.destroy();

    afterKill = await instanceCount();
    // Partial work survived, and the kill really was mid-upload.
    expect(afterKill).toBeGreaterThan(0);
    expect(afterKill).toBeLessThan(files.length);
  });

  it('a resend after restart stores the whole study, each instance once', async () => {
    expect(afterKill).toBeGreaterThan(0);
    await startBackend();

    const req = stowRequest();
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
    });
    for (let i = 0; i < files.length; i++) expect(await write(req, Buffer.concat([partHead(i === 0), files[i].bytes]))).toBe(true);
    req.end(closing());
    const { status, body } = await response;
    expect(status, body.slice(0, 2000)).toBe(200);
    const json = JSON.parse(body) as Record<string, { Value?: Record<string, { Value: unknown[] }>[] }>;
    expect(json['00081198']).toBeUndefined(); // no failed SOP instances
    const referenced = (json['00081199']?.Value ?? []).map((item) => item['00081155'].Value[0] as string);
    expect(referenced.length).toBe(files.length);
    expect(new Set(referenced)).toEqual(new Set(files.map((f) => f.sopInstanceUid)));
    // The instances that survived the crash come back as "already stored" (0xB007).
    const duplicates = (json['00081199']?.Value ?? []).filter((item) => item['00081196']?.Value[0] === 0xb007).length;
    expect(duplicates).toBe(afterKill);
  });

  it('the database and the store hold exactly one complete copy', async () => {
    const study = await db.query<{ id: string; numInstances: number }>(
      `SELECT id, "numInstances" FROM "Study" WHERE "studyInstanceUid" = $1 AND "hospitalId" = $2`,
      [studyInstanceUid, hospitalId],
    );
    expect(study.rows.length).toBe(1);
    const studyId = study.rows[0].id;
    expect(study.rows[0].numInstances).toBe(files.length);

    const rows = await db.query<{ sopInstanceUid: string; storageKey: string; sha256: string; sizeBytes: string }>(
      `SELECT "sopInstanceUid", "storageKey", sha256, "sizeBytes"::text AS "sizeBytes" FROM "Instance" WHERE "studyId" = $1`,
      [studyId],
    );
    expect(rows.rows.length).toBe(files.length);
    expect(new Set(rows.rows.map((r) => r.sopInstanceUid)).size).toBe(files.length);
    expect(new Set(rows.rows.map((r) => r.sopInstanceUid))).toEqual(new Set(files.map((f) => f.sopInstanceUid)));
    expect(new Set(rows.rows.map((r) => r.storageKey)).size).toBe(files.length);

    const bySop = new Map(files.map((f) => [f.sopInstanceUid, f]));
    for (const row of rows.rows) {
      const file = path.join(storageDir, row.storageKey);
      expect(fs.existsSync(file), row.storageKey).toBe(true);
      const stored = fs.readFileSync(file);
      const sha = createHash('sha256').update(stored).digest('hex');
      expect(sha, row.storageKey).toBe(row.sha256);
      expect(stored.length).toBe(Number(row.sizeBytes));
      // And it is the file that was sent, byte for byte.
      expect(sha).toBe(createHash('sha256').update(bySop.get(row.sopInstanceUid)!.bytes).digest('hex'));
    }

    // No stray copies: the store holds exactly the indexed files (hidden work dirs aside).
    const storedFiles = listFiles(storageDir)
      .map((f) => path.relative(storageDir, f))
      .filter((f) => !f.startsWith('.'));
    expect(storedFiles.sort()).toEqual(rows.rows.map((r) => r.storageKey).sort());
  });

  it('no leftover upload files in STORAGE_DIR/.incoming', () => {
    const incoming = path.join(storageDir, '.incoming');
    const left = fs.existsSync(incoming) ? listFiles(incoming).map((f) => path.relative(incoming, f)) : [];
    expect(left).toEqual([]);
  });

  it('the study becomes COMPLETE with one worklist item', async () => {
    const deadline = Date.now() + 15_000;
    let status = '';
    let items = 0;
    while (Date.now() < deadline) {
      const r = await db.query<{ status: string; items: string }>(
        `SELECT s.status, (SELECT count(*) FROM "WorklistItem" w WHERE w."studyId" = s.id) AS items
           FROM "Study" s WHERE s."studyInstanceUid" = $1 AND s."hospitalId" = $2`,
        [studyInstanceUid, hospitalId],
      );
      status = r.rows[0]?.status ?? '';
      items = Number(r.rows[0]?.items ?? 0);
      if (status === 'COMPLETE' && items >= 1) break;
      await sleep(250);
    }
    expect(status).toBe('COMPLETE');
    expect(items).toBe(1);
    // Still complete with the whole study (not the partial one from before the crash).
    const n = await db.query<{ numInstances: number }>(`SELECT "numInstances" FROM "Study" WHERE "studyInstanceUid" = $1 AND "hospitalId" = $2`, [
      studyInstanceUid,
      hospitalId,
    ]);
    expect(n.rows[0].numInstances).toBe(files.length);
  });
});
