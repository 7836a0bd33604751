#!/usr/bin/env node
// QIDO-RS latency: the platform's GET /dicomweb/studies?limit=100 against Orthanc's
// /dicom-web/studies?limit=100, both holding the same 1,000 generated studies (gen-study.mjs;
// Orthanc loads the files, the platform gets the same studies written with SQL in the shape
// ingest writes), on this machine, same client (Node fetch, keep-alive, one request at a
// time, requests to the two servers alternating, p50 after warm-up); then the platform alone
// at 100,000 studies (99,000 more by SQL).
//
//   node bench/qido.mjs [--runs 41] [--no-build] [--keep]
//
// Needs PostgreSQL and Redis (scripts/ensure-services.sh), Orthanc (shared/peers/README.md)
// and a built backend (this script runs `tsc -p backend/tsconfig.build.json` unless --no-build).
// Uses a scratch database, image store, queue prefix and Orthanc state dir; removes them at exit.
// Env: TEST_PG_ADMIN_URL (default postgresql://postgres@127.0.0.1:5432/postgres), PEERS_DIR,
// PLATFORM_MAIN=path runs another build of main.js (then pass --no-build).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { buildBackend, cleanupStack, root, scratchDatabase, startPlatform } from './lib.mjs';

const peers = process.env.PEERS_DIR ?? path.resolve(root, '../shared/peers');
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1]) || 41;
const KEEP = args.includes('--keep');
const adminUrl = process.env.TEST_PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const log = (...a) => console.error('#', ...a);

const tag = randomBytes(4).toString('hex');
const dbName = `teleread_bench_${tag}`;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'teleread-bench-qido-'));
const orthancState = path.join(work, 'orthanc');
const { cleanups, cleanup } = cleanupStack(log);
cleanups.push(() => fs.rmSync(work, { recursive: true, force: true }));

async function freeBase() {
  const free = (port) =>
    new Promise((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  for (;;) {
    const base = 21000 + Math.floor(Math.random() * 15000);
    if ((await free(base + 1)) && (await free(base + 101))) return base;
  }
}

const p50 = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const WARMUP = 20;

async function get(url, headers) {
  const t0 = performance.now();
  const r = await fetch(url, { headers: { accept: 'application/dicom+json', ...headers } });
  const text = await r.text();
  const ms = performance.now() - t0;
  if (r.status !== 200) throw new Error(`${url}: HTTP ${r.status} ${text.slice(0, 200)}`);
  return { ms, text };
}

/**
 * p50 latency (ms) of RUNS sequential GETs of each target after WARMUP untimed ones (JIT,
 * caches, connection pools); also the result counts. With several targets the requests
 * alternate between them (A B B A ...), so both see the same machine load: other processes
 * on a shared machine slow down whichever target happens to run while they do.
 */
async function measure(...targets) {
  const counts = [];
  for (const [i, t] of targets.entries()) {
    for (let w = 0; w < WARMUP; w++) counts[i] = JSON.parse((await get(t.url, t.headers)).text).length;
  }
  const times = targets.map(() => []);
  for (let run = 0; run < RUNS; run++) {
    const order = run % 2 ? [...targets.keys()].reverse() : [...targets.keys()];
    for (const i of order) times[i].push((await get(targets[i].url, targets[i].headers)).ms);
  }
  return targets.map((_, i) => ({ p50: p50(times[i]), count: counts[i] }));
}

/** Study-level DICOM JSON as ingest keeps it (aliases: p = Patient, u = the study's values). */
const STUDY_JSON = `jsonb_build_object(
  '00080005', jsonb_build_object('vr', 'CS', 'Value', jsonb_build_array('ISO_IR 192')),
  '00080020', jsonb_build_object('vr', 'DA', 'Value', jsonb_build_array(u.date)),
  '00080030', jsonb_build_object('vr', 'TM', 'Value', jsonb_build_array(u.time)),
  '00080050', jsonb_build_object('vr', 'SH', 'Value', jsonb_build_array(u.acc)),
  '00081030', jsonb_build_object('vr', 'LO', 'Value', jsonb_build_array(u.descr)),
  '00100010', jsonb_build_object('vr', 'PN', 'Value', jsonb_build_array(jsonb_build_object('Alphabetic', p.name))),
  '00100020', jsonb_build_object('vr', 'LO', 'Value', jsonb_build_array(p.mrn)),
  '0020000D', jsonb_build_object('vr', 'UI', 'Value', jsonb_build_array(u.uid)))`;

async function main() {
  // -------------------------------------------------------------- build, database, backend
  if (!args.includes('--no-build')) buildBackend(log);
  const dbUrl = await scratchDatabase(adminUrl, dbName, KEEP, cleanups);

  const email = 'bench-admin@example.org';
  const password = `bench-${randomBytes(9).toString('hex')}`;
  const { url: platform } = await startPlatform({
    databaseUrl: dbUrl,
    workDir: work,
    cleanups,
    env: { BOOTSTRAP_ADMIN_EMAIL: email, BOOTSTRAP_ADMIN_PASSWORD: password, STUDY_STABLE_SECONDS: '3600' },
  });
  const json = async (method, url, body, token) => {
    const r = await fetch(platform + url, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    if (!r.ok) throw new Error(`${method} ${url}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  const { accessToken } = await json('POST', '/api/auth/login', { email, password });
  const hospital = await json('POST', '/api/hospitals', { name: 'Bench General', jurisdiction: 'TX', timezone: 'America/Chicago' }, accessToken);
  const { key } = await json('POST', `/api/hospitals/${hospital.id}/api-keys`, { name: 'bench' }, accessToken);
  const auth = { authorization: `ApiKey ${key}` };

  // -------------------------------------------------------------- 1,000 studies in both
  const many = path.join(work, 'many');
  log('generating 1,000 studies');
  execFileSync(process.execPath, [path.join(peers, 'gen-study.mjs'), '--out', many, '--seed', 'qido', '--studies', '1000', '--slices', '1', '--rows', '64', '--cols', '64', '--modality', 'MIX', '--date', '20241231', '--date-spread', '365', '--quiet'], { stdio: 'pipe' });

  log('starting Orthanc and loading it');
  const archiveEnv = { ...process.env, ARCHIVE_STATE_DIR: orthancState };
  const base = await freeBase();
  execFileSync(path.join(peers, 'archive.sh'), ['up', '1', String(base)], { env: archiveEnv, stdio: 'pipe' });
  cleanups.push(async () => execFileSync(path.join(peers, 'archive.sh'), ['down', '--purge'], { env: archiveEnv, stdio: 'pipe' }));
  const orthanc = execFileSync(path.join(peers, 'archive.sh'), ['url', '1'], { env: archiveEnv }).toString().trim().replace(/\/+$/, '');
  execFileSync(path.join(peers, 'archive.sh'), ['load', '1', many], { env: archiveEnv, stdio: 'pipe' });

  // The platform gets the same 1,000 studies (key attributes from the generator's manifest),
  // written with SQL in the shape ingest writes (Patient + Study rows, study-level DICOM JSON).
  log('seeding the platform with the same studies');
  const db = new pg.Client({ connectionString: dbUrl.toString() });
  await db.connect();
  cleanups.push(() => db.end());
  const studies = JSON.parse(fs.readFileSync(path.join(many, 'manifest.json'), 'utf8')).studies;
  const col = (k) => studies.map((s) => s[k] ?? null);
  await db.query(
    `INSERT INTO "Patient" (id, "hospitalId", mrn, issuer, name)
     SELECT gen_random_uuid(), $1::uuid, mrn, $1::text, min(name) FROM unnest($2::text[], $3::text[]) AS u(mrn, name) GROUP BY mrn`,
    [hospital.id, col('patientID'), col('patientName')],
  );
  await db.query(
    `INSERT INTO "Study" (id, "hospitalId", "patientId", "studyInstanceUid", "accessionNumber", "studyDate", "studyTime",
                          description, modalities, "bodyPart", "referringPhysician", "institutionName", "numSeries", "numInstances",
                          status, "dicomJson", "receivedAt", "lastInstanceAt")
     SELECT gen_random_uuid(), $1::uuid, p.id, u.uid, u.acc, u.date, u.time, u.descr, ARRAY[u.modality], u.body, u.ref, u.inst, 1, 1,
            'COMPLETE'::"StudyStatus", ${STUDY_JSON}, now() - u.n * interval '1 second', now()
     FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
          WITH ORDINALITY AS u(uid, acc, date, time, descr, modality, body, ref, inst, pid, n)
     JOIN "Patient" p ON p."hospitalId" = $1::uuid AND p.issuer = $1::text AND p.mrn = u.pid`,
    [hospital.id, col('studyInstanceUID'), col('accessionNumber'), col('studyDate'), col('studyTime'), col('studyDescription'), col('modality'), col('bodyPartExamined'), col('referringPhysicianName'), col('institutionName'), col('patientID')],
  );
  await db.query('ANALYZE "Patient"; ANALYZE "Study"');

  const q = 'studies?limit=100';
  const [ours1k, theirs1k] = await measure({ url: `${platform}/dicomweb/${q}`, headers: auth }, { url: `${orthanc}/dicom-web/${q}` });
  if (ours1k.count !== 100 || theirs1k.count !== 100) throw new Error(`expected 100 results, got platform ${ours1k.count}, orthanc ${theirs1k.count}`);
  const pid = studies[499].patientID;
  const extra1k = [];
  for (const qq of [`studies?PatientID=${pid}`, 'studies?PatientName=SMITH*&limit=100', 'studies?StudyDate=20241201-20241231', 'studies?ModalitiesInStudy=CT&limit=100']) {
    extra1k.push([qq, ...(await measure({ url: `${platform}/dicomweb/${qq}`, headers: auth }, { url: `${orthanc}/dicom-web/${qq}` }))]);
  }

  // -------------------------------------------------------------- 100,000 studies, platform only
  log('seeding 99,000 more studies with SQL');
  const N = 99_000;
  await db.query(
    `INSERT INTO "Patient" (id, "hospitalId", mrn, issuer, name, "birthDate", sex)
     SELECT gen_random_uuid(), $1::uuid, 'BENCH' || g, $1::text,
            (ARRAY['SMITH','JONES','GARCIA','MILLER','DAVIS','LOPEZ','WILSON','ANDERSON','TAYLOR','MOORE'])[1 + g % 10] || '^PAT' || g,
            to_char(date '1940-01-01' + (g % 25000), 'YYYYMMDD'), CASE WHEN g % 2 = 0 THEN 'F' ELSE 'M' END
     FROM generate_series(1, $2::int) g`,
    [hospital.id, N],
  );
  await db.query(
    `INSERT INTO "Study" (id, "hospitalId", "patientId", "studyInstanceUid", "accessionNumber", "studyDate", "studyTime",
                          description, modalities, "numSeries", "numInstances", status, "dicomJson", "receivedAt", "lastInstanceAt")
     SELECT gen_random_uuid(), $1::uuid, p.id, u.uid, u.acc, u.date, u.time, u.descr, ARRAY[u.modality], 1, 1,
            'COMPLETE'::"StudyStatus",
            ${STUDY_JSON},
            now() - interval '1 day' - g * interval '1 minute', now() - interval '1 day'
     FROM generate_series(1, $2::int) g
     JOIN "Patient" p ON p."hospitalId" = $1::uuid AND p.issuer = $1::text AND p.mrn = 'BENCH' || g
     CROSS JOIN LATERAL (SELECT '2.25.4242' || g AS uid, 'BA' || g AS acc, 'BENCH STUDY' AS descr,
                                to_char(date '2024-12-31' - (g % 3650), 'YYYYMMDD') AS date,
                                lpad((g % 24)::text, 2, '0') || lpad((g % 60)::text, 2, '0') || '00' AS time,
                                (ARRAY['CT','MR','CR','US','DX'])[1 + g % 5] AS modality) u`,
    [hospital.id, N],
  );
  await db.query('ANALYZE "Patient"; ANALYZE "Study"');
  const count = (await db.query('SELECT count(*)::int AS n FROM "Study"')).rows[0].n;

  const [ours100k] = await measure({ url: `${platform}/dicomweb/${q}`, headers: auth });
  const extra100k = [];
  for (const qq of ['studies?PatientID=BENCH4242', 'studies?PatientName=SMITH*&limit=100', 'studies?PatientName=*PAT4242*', 'studies?StudyDate=20241201-20241231&limit=100', 'studies?ModalitiesInStudy=CT&limit=100', 'studies?limit=100&offset=50000', 'studies?AccessionNumber=BA777']) {
    extra100k.push([qq, ...(await measure({ url: `${platform}/dicomweb/${qq}`, headers: auth }))]);
  }

  // -------------------------------------------------------------- report
  const f = (x) => x.toFixed(1);
  const target = (r) => (r >= 10 ? 'met' : 'NOT met');
  console.log(`qido limit=100 @1000 studies: platform p50 ${f(ours1k.p50)} ms, orthanc p50 ${f(theirs1k.p50)} ms, ratio ${(theirs1k.p50 / ours1k.p50).toFixed(1)}× (orthanc/platform; target >= 10×: ${target(theirs1k.p50 / ours1k.p50)})`);
  console.log(`qido limit=100 @${count.toLocaleString('en-US')} studies: platform p50 ${f(ours100k.p50)} ms, ratio ${(theirs1k.p50 / ours100k.p50).toFixed(1)}× (orthanc @1000 / platform @${count.toLocaleString('en-US')})`);
  log(`details (p50 ms over ${RUNS} sequential requests after ${WARMUP} warm-ups; result counts in brackets):`);
  for (const [qq, a, b] of extra1k) log(`  @1000   ${qq}: platform ${f(a.p50)} [${a.count}], orthanc ${f(b.p50)} [${b.count}]`);
  for (const [qq, a] of extra100k) log(`  @${count} ${qq}: platform ${f(a.p50)} [${a.count}]`);
}

main()
  .then(cleanup, async (err) => {
    console.error(`bench failed: ${err.stack ?? err}${err.cause ? ` (cause: ${err.cause.message ?? err.cause})` : ""}`);
    await cleanup();
    process.exitCode = 1;
  });
