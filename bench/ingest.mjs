#!/usr/bin/env node
// bench/ingest.mjs -- STOW-RS ingest throughput: the platform vs a real Orthanc, same machine, same run.
//
//   node bench/ingest.mjs            (from the repository root; RUNS=15 for more runs)
//
// What it does:
//   1. generates the 200-slice 512x512 16-bit CT (peers/gen-study.mjs --seed 42, cached in $TMPDIR)
//   2. builds the backend if backend/dist is older than backend/src
//   3. creates a private PostgreSQL database (migrated with prisma/migrate.mjs deploy), starts the
//      platform (node backend/dist/main.js) on a free port with a private STORAGE_DIR and QUEUE_PREFIX,
//      and creates a hospital + API key through the API for every run
//   4. starts one Orthanc with peers/archive.sh (private ARCHIVE_STATE_DIR, fsync on like production)
//   5. one untimed warm-up upload per target, then RUNS timed ones, alternating targets: POST the
//      200 instances as ONE multipart/related STOW-RS request whose body is streamed from disk;
//      time = client wall time until the answer is read; every answer is checked (200 instances
//      referenced, none failed, and the platform's image store holds every byte sent; Orthanc:
//      200 instances stored). Orthanc's copy is deleted and the
//      platform gets a new hospital before each upload, so every run stores everything anew
//   6. prints one line per figure (medians) and the ratio platform/Orthanc (target >= 1.5), then
//      stops everything it started and drops its database.
//
// Environment: TEST_PG_ADMIN_URL (default postgresql://postgres@127.0.0.1:5432/postgres),
// REDIS_URL (default redis://127.0.0.1:6379), RUNS (default 9: the machine's other work swings single uploads by ±50%), PEERS (default ../shared/peers),
// KEEP=1 keeps the temp folder (platform log) for inspection; PLATFORM_MAIN=path runs another build of main.js.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { root, scratchDatabase, startPlatform } from './lib.mjs';

const run = promisify(execFile);
const PEERS = path.resolve(process.env.PEERS ?? path.join(root, '../shared/peers'));
const ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const RUNS = Math.max(1, Number(process.env.RUNS ?? 9));
const ADMIN_EMAIL = 'bench-admin@bench.example';
const ADMIN_PASSWORD = 'bench password not secret';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'teleread-bench-ingest-'));
const log = (...a) => console.error('#', ...a);
const cleanups = [];

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

// ---------------------------------------------------------------- data

async function ensureCt() {
  const dir = path.join(os.tmpdir(), 'teleread-synth-ct200');
  if (!fs.existsSync(path.join(dir, 'manifest.json'))) {
    log('generating the 200-slice CT (gen-study.mjs --seed 42) into', dir);
    await run(process.execPath, [path.join(PEERS, 'gen-study.mjs'), '--out', dir, '--seed', '42', '--quiet']);
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  const study = manifest.studies[0];
  const files = [];
  for (const series of study.series) {
    const sdir = path.join(dir, series.dir);
    for (const f of fs.readdirSync(sdir).filter((n) => n.endsWith('.dcm')).sort()) files.push(path.join(sdir, f));
  }
  return { studyUid: study.studyInstanceUID, files };
}

/** One multipart/related body, streamed file by file from disk; Content-Length known up front. */
function stowBody(files) {
  const boundary = `teleread-bench-${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`);
  const crlf = Buffer.from('\r\n');
  const tail = Buffer.from(`--${boundary}--\r\n`);
  const sizes = files.map((f) => fs.statSync(f).size);
  const length = sizes.reduce((n, s) => n + head.length + s + crlf.length, 0) + tail.length;
  async function* chunks() {
    for (const f of files) {
      yield head;
      yield* fs.createReadStream(f, { highWaterMark: 1 << 20 });
      yield crlf;
    }
    yield tail;
  }
  return { contentType: `multipart/related; type="application/dicom"; boundary=${boundary}`, length, bytes: sizes.reduce((a, b) => a + b, 0), stream: () => Readable.from(chunks()) };
}

/** POST the body; resolves with wall seconds and the parsed answer. */
async function stow(url, body, headers = {}) {
  const t0 = process.hrtime.bigint();
  const res = await new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      headers: { 'content-type': body.contentType, 'content-length': body.length, accept: 'application/dicom+json', ...headers },
    });
    req.on('response', (r) => {
      const parts = [];
      r.on('data', (c) => parts.push(c));
      r.on('end', () => resolve({ status: r.statusCode, text: Buffer.concat(parts).toString('utf8') }));
      r.on('error', reject);
    });
    req.on('error', reject);
    pipeline(body.stream(), req).catch(reject);
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  let json = null;
  try {
    json = JSON.parse(res.text);
  } catch {
    /* reported below */
  }
  const referenced = json?.['00081199']?.Value?.length ?? 0;
  const failed = json?.['00081198']?.Value?.length ?? 0;
  return { seconds, status: res.status, referenced, failed, text: res.text };
}

// ---------------------------------------------------------------- Orthanc

async function startOrthanc() {
  let base;
  do base = 20_000 + Math.floor(Math.random() * 35_000);
  while (!(await portFree(base + 1)) || !(await portFree(base + 101)));
  const env = { ...process.env, ARCHIVE_STATE_DIR: path.join(tmp, 'orthanc') };
  const sh = (...args) => run(path.join(PEERS, 'archive.sh'), args, { env, timeout: 120_000 });
  await sh('up', '1', String(base));
  cleanups.push(() => sh('down', '--purge').catch(() => undefined));
  const origin = `http://127.0.0.1:${base + 1}`;
  const version = (await (await fetch(`${origin}/system`)).json()).Version;
  return { origin, version };
}

async function dropOrthancStudy(origin, studyUid) {
  const found = await (await fetch(`${origin}/tools/lookup`, { method: 'POST', body: studyUid })).json();
  for (const r of found) if (r.Type === 'Study') await fetch(`${origin}/studies/${r.ID}`, { method: 'DELETE' });
}

async function orthancCount(origin, studyUid) {
  const r = await (await fetch(`${origin}/dicom-web/studies?StudyInstanceUID=${studyUid}`, { headers: { accept: 'application/dicom+json' } })).json();
  return Number(r?.[0]?.['00201208']?.Value?.[0] ?? 0);
}

// ---------------------------------------------------------------- platform

async function ensureBuilt() {
  const dist = path.join(root, 'backend/dist/main.js');
  const newest = (dir) =>
    fs.readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return e.name === 'generated' ? m : Math.max(m, newest(p));
      return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? Math.max(m, fs.statSync(p).mtimeMs) : m;
    }, 0);
  if (fs.existsSync(dist) && fs.statSync(dist).mtimeMs >= newest(path.join(root, 'backend/src'))) return;
  log('backend/dist is stale: npm run build -w backend');
  try {
    await run('npm', ['run', '--silent', 'build', '-w', 'backend'], { cwd: root, timeout: 300_000 });
  } catch (err) {
    if (!fs.existsSync(dist)) throw err;
    log(`build failed (${String(err.stderr || err.message).trim().split('\n').slice(0, 3).join(' / ')}); benchmarking the existing backend/dist`);
  }
}

async function startBenchPlatform(databaseUrl) {
  const logFile = path.join(tmp, 'platform.log');
  const { url: baseUrl, storage } = await startPlatform({
    databaseUrl,
    workDir: tmp,
    cleanups,
    logFile,
    env: { BOOTSTRAP_ADMIN_EMAIL: ADMIN_EMAIL, BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD },
  });
  const json = async (method, p, token, body) => {
    const r = await fetch(baseUrl + p, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!r.ok) throw new Error(`${method} ${p} → ${r.status} ${await r.text()}`);
    return r.json();
  };
  // Bootstrap admin is created on application bootstrap, right before /health answers.
  let token;
  for (let i = 0; ; i++) {
    try {
      token = (await json('POST', '/api/auth/login', null, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).accessToken;
      break;
    } catch (err) {
      if (i > 50) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  let n = 0;
  /** A hospital that has never seen the study, with its API key (the platform deduplicates per hospital). */
  const freshHospital = async () => {
    const h = await json('POST', '/api/hospitals', token, { name: `Bench hospital ${++n}`, jurisdiction: 'TX', timezone: 'America/Chicago' });
    return { id: h.id, key: (await json('POST', `/api/hospitals/${h.id}/api-keys`, token, { name: 'bench' })).key };
  };
  return { baseUrl, freshHospital, logFile, storage };
}

/** Bytes of every file under `dir` (one hospital's part of the image store). */
function storedBytes(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? storedBytes(path.join(dir, e.name)) : fs.statSync(path.join(dir, e.name)).size), 0);
}

// ---------------------------------------------------------------- main

async function main() {
  const ct = await ensureCt();
  const body = stowBody(ct.files);
  const n = ct.files.length;
  const mib = body.bytes / 1048576;
  log(`${n} instances, ${mib.toFixed(1)} MiB, ${os.cpus().length} cores, node ${process.version}, RUNS=${RUNS}`);

  if (!process.env.PLATFORM_MAIN) await ensureBuilt();
  const databaseUrl = await scratchDatabase(ADMIN_URL, `teleread_bench_${randomBytes(4).toString('hex')}`, false, cleanups);
  const [platform, orthanc] = await Promise.all([startBenchPlatform(databaseUrl), startOrthanc()]);
  log(`platform ${platform.baseUrl} (log ${platform.logFile}); Orthanc ${orthanc.version} ${orthanc.origin} (SyncStorageArea=${process.env.ARCHIVE_SYNC_STORAGE ?? 'true'})`);

  const times = { platform: [], orthanc: [] };
  // Run 0 is an untimed warm-up of each server (JIT, connection pools, page cache); then RUNS timed runs.
  for (let r = 0; r <= RUNS; r++) {
    for (const target of r % 2 ? ['orthanc', 'platform'] : ['platform', 'orthanc']) {
      let res;
      if (target === 'orthanc') {
        await dropOrthancStudy(orthanc.origin, ct.studyUid);
        res = await stow(`${orthanc.origin}/dicom-web/studies`, body);
        const stored = await orthancCount(orthanc.origin, ct.studyUid);
        if (res.status !== 200 || stored !== n) throw new Error(`Orthanc run ${r}: HTTP ${res.status}, ${stored}/${n} stored: ${res.text.slice(0, 300)}`);
      } else {
        const h = await platform.freshHospital();
        res = await stow(`${platform.baseUrl}/dicomweb/studies`, body, { authorization: `ApiKey ${h.key}` });
        if (res.status !== 200 || res.referenced !== n || res.failed) {
          throw new Error(`platform run ${r}: HTTP ${res.status}, ${res.referenced} referenced, ${res.failed} failed: ${res.text.slice(0, 300)}`);
        }
        // Every byte sent is in the image store (the answer alone would not show a short write).
        const stored = storedBytes(path.join(platform.storage, h.id));
        if (stored !== body.bytes) throw new Error(`platform run ${r}: the image store holds ${stored} bytes of the ${body.bytes} sent`);
      }
      if (r > 0) times[target].push(res.seconds);
      log(`${r ? `run ${r}` : 'warm-up'} ${target.padEnd(8)} ${res.seconds.toFixed(3)} s  ${(n / res.seconds).toFixed(1)} inst/s`);
    }
  }

  const p = median(times.platform);
  const o = median(times.orthanc);
  const fmt = (target) => `${median(times[target]).toFixed(3)} s median of ${RUNS}, min ${Math.min(...times[target]).toFixed(3)} s`;
  console.log(`platform STOW-RS ${n} instances / ${mib.toFixed(1)} MiB in 1 request: ${(n / p).toFixed(1)} instances/s (${fmt('platform')})`);
  console.log(`orthanc ${orthanc.version} STOW-RS ${n} instances / ${mib.toFixed(1)} MiB in 1 request: ${(n / o).toFixed(1)} instances/s (${fmt('orthanc')})`);
  console.log(`ratio platform/orthanc: ${(o / p).toFixed(2)}x (target >= 1.5x: ${o / p >= 1.5 ? 'met' : 'NOT met'})`);
}

let code = 0;
try {
  await main();
} catch (err) {
  console.error('bench/ingest.mjs failed:', err?.stack ?? err);
  code = 1;
} finally {
  for (const c of cleanups.reverse()) await c();
  if (process.env.KEEP === '1') log('kept', tmp);
  else fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(code);
