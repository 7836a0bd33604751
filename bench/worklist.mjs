#!/usr/bin/env node
// Worklist under load: GET /api/worklist (first page, eligibility applied) at 64 and 256
// concurrent connections, requests from 256 different radiologists, over 1,000,000 studies in
// 50 hospitals read by 500 radiologists; then a 200-client claim storm over 10 STAT cases.
// Prints p50/p99 latency and req/s per concurrency, back to back (throughput) and at 2,000 req/s
// offered (latency), double claims, and EXPLAIN of the hot queries (they must use indexes, not
// scan the worklist). Load comes from wrk when installed (apt-get install wrk), else autocannon.
//
//   node bench/worklist.mjs [--studies 1000000] [--seconds 10] [--connections 64,256] [--no-build]
//                           [--keep | --reuse DBNAME] [--profile DIR]
//
// --keep leaves the seeded database in place and prints its name; --reuse DBNAME measures again on
// it without seeding (minutes saved per try when tuning; its sign-in passwords are reset).
// Needs PostgreSQL and Redis (scripts/ensure-services.sh) and a built backend (this script
// runs `tsc -p backend/tsconfig.build.json` unless --no-build). Seeds a scratch database with
// SQL (same rows intake writes), removes it at exit unless --keep.
// Targets (issue 4): p99 ≤ 25 ms and ≥ 2,000 req/s on this 2-core machine, 0 double claims.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { buildBackend, cleanupStack, root, scratchDatabase, startPlatform } from './lib.mjs';

const requireBackend = createRequire(path.join(root, 'backend/package.json'));
const argon2 = requireBackend('argon2');
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const STUDIES = opt('--studies', 1_000_000);
const SECONDS = opt('--seconds', 10);
const HOSPITALS = 50;
/** Issue 4's throughput target, and the rate at which its latency target applies. */
const TARGET_RATE = 2_000;
const READERS = 500;
/** Share of studies still waiting to be read (the rest are final): a busy night's open work. */
const OPEN_SHARE = 0.05;
const REUSE = args.includes('--reuse') ? args[args.indexOf('--reuse') + 1] : null;
const KEEP = args.includes('--keep') || REUSE !== null;
const CONNECTIONS = args.includes('--connections') ? args[args.indexOf('--connections') + 1].split(',').map(Number) : [64, 256];
/** How long the backend may reuse an account and its scope (the platform's default): credentials granted below by SQL, not through the API, take that long. */
const ACCESS_CACHE_SECONDS = 10;
const adminUrl = process.env.TEST_PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const log = (...a) => console.error('#', ...a);

const tag = randomBytes(4).toString('hex');
const dbName = REUSE ?? `teleread_bench_wl_${tag}`;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'teleread-bench-worklist-'));
const { cleanups, cleanup } = cleanupStack(log);
cleanups.push(() => fs.rmSync(work, { recursive: true, force: true }));


const STATES = ['TX', 'CA', 'NY', 'FL', 'IL', 'PA', 'OH', 'GA', 'NC', 'MI'];
const SUBS = ['NEURO', 'MSK', 'CHEST', 'BODY', 'BREAST', 'CARDIAC', 'PEDIATRIC', 'NUCLEAR', 'GENERAL'];
const PASSWORD = `bench-${randomBytes(6).toString('hex')}`;

/** The network by SQL, in the shape the API writes it. Deterministic (hash-based) spreads. */
async function seed(db, passwordHash) {
  const t0 = performance.now();
  await db.query(`INSERT INTO "Network" (id, name) VALUES (gen_random_uuid(), 'Bench network')`);
  await db.query(
    `INSERT INTO "Hospital" (id, "networkId", name, jurisdiction, timezone, "slaStatMinutes", "slaUrgentMinutes", "slaRoutineMinutes")
     SELECT gen_random_uuid(), n.id, 'Hospital ' || h, ($1::text[])[1 + h % 10], 'America/Chicago', 30, 120, 1440
     FROM "Network" n, generate_series(0, $2 - 1) h`,
    [STATES, HOSPITALS],
  );
  await db.query(
    `INSERT INTO "User" (id, "networkId", email, "displayName", "passwordHash", role, subspecialties)
     SELECT gen_random_uuid(), n.id, 'admin@bench.example', 'Bench admin', $1, 'ADMIN', '{}' FROM "Network" n`,
    [passwordHash],
  );
  // Each reader: 2 subspecialties, licenses in 4 of the 10 states, privileges at 10 hospitals, on shift now.
  await db.query(
    `INSERT INTO "User" (id, "networkId", email, "displayName", "passwordHash", role, subspecialties)
     SELECT gen_random_uuid(), n.id, 'rad' || r || '@bench.example', 'Reader ' || r, $1, 'RADIOLOGIST',
            ARRAY[($2::text[])[1 + r % 8], ($2::text[])[1 + (r / 8 + 3) % 8]]::"Subspecialty"[]
     FROM "Network" n, generate_series(0, $3 - 1) r`,
    [passwordHash, SUBS, READERS],
  );
  await db.query(
    `INSERT INTO "License" (id, "userId", jurisdiction, "expiresAt")
     SELECT DISTINCT ON (u.id, s) gen_random_uuid(), u.id, ($1::text[])[1 + (substring(u.email from '^rad([0-9]+)@')::int * 3 + k * 7) % 10] AS s, now() + interval '1 year'
     FROM "User" u, generate_series(0, 3) k WHERE u.role = 'RADIOLOGIST'
     ON CONFLICT DO NOTHING`,
    [STATES],
  );
  await db.query(
    `INSERT INTO "Privilege" (id, "userId", "hospitalId", "expiresAt")
     SELECT gen_random_uuid(), u.id, h.id, now() + interval '1 year'
     FROM "User" u JOIN LATERAL (
       SELECT id FROM "Hospital" h ORDER BY md5(h.id::text || u.id::text) LIMIT 10) h ON true
     WHERE u.role = 'RADIOLOGIST'`,
  );
  await db.query(
    `INSERT INTO "Shift" (id, "userId", "startsAt", "endsAt")
     SELECT gen_random_uuid(), id, now() - interval '1 hour', now() + interval '11 hours' FROM "User" WHERE role = 'RADIOLOGIST'`,
  );
  // Studies, one patient each, in chunks so the scratch database never holds one huge transaction.
  const CHUNK = 100_000;
  for (let from = 0; from < STUDIES; from += CHUNK) {
    const to = Math.min(STUDIES, from + CHUNK) - 1;
    await db.query(
      `WITH h AS (SELECT id, row_number() OVER (ORDER BY name) - 1 AS k FROM "Hospital"),
            p AS (
              INSERT INTO "Patient" (id, "hospitalId", mrn, issuer, name, "birthDate")
              SELECT gen_random_uuid(), h.id, 'MRN' || i, h.id::text, 'PATIENT^NUMBER' || i, '19600101'
              FROM generate_series($1::int, $2::int) i JOIN h ON h.k = i % $3
              RETURNING id, "hospitalId", substr(mrn, 4)::int AS i)
       INSERT INTO "Study" (id, "hospitalId", "patientId", "studyInstanceUid", "accessionNumber", "studyDate", description,
                            modalities, "numSeries", "numInstances", status, "receivedAt", "lastInstanceAt", "completedAt")
       SELECT gen_random_uuid(), p."hospitalId", p.id, '1.2.826.0.1.3680043.10.1234.' || p.i, 'ACC' || p.i, '20261123',
              'Bench study ' || p.i, ARRAY[(ARRAY['CT','MR','CR','US','MG','NM'])[1 + p.i % 6]], 1, 1, 'COMPLETE',
              now() - (p.i % 100000) * interval '1 second', now(), now()
       FROM p`,
      [from, to, HOSPITALS],
    );
    log(`  studies ${to + 1}/${STUDIES}`);
  }
  // One worklist item per study: OPEN_SHARE still open (mostly unread, some being read), the rest final.
  await db.query(
    `INSERT INTO "WorklistItem" (id, "hospitalId", "studyId", priority, subspecialty, "routingReason", state,
                                 "receivedAt", "dueAt", "updatedAt", "workUnits")
     SELECT gen_random_uuid(), s."hospitalId", s.id,
            (ARRAY['STAT','URGENT','ROUTINE','ROUTINE','ROUTINE'])[1 + i % 5]::"Priority",
            ($1::text[])[1 + (i / 7) % 9]::"Subspecialty", 'bench', 
            CASE WHEN (i % 1000) < $2 THEN 'UNREAD' ELSE 'FINAL' END::"WorklistState",
            s."receivedAt", s."receivedAt" + (ARRAY[30, 120, 1440, 1440, 1440])[1 + i % 5] * interval '1 minute', now(), 1
     FROM (SELECT *, substr("accessionNumber", 4)::int AS i FROM "Study") s`,
    [SUBS, Math.round(OPEN_SHARE * 1000)],
  );
  // SLA escalations already behind them, as a platform running through that night would have
  // fired them (else the boot sweep fires tens of thousands of breaches during the measurement).
  await db.query(
    `WITH fired AS (
       INSERT INTO "SlaEscalation" (id, "worklistItemId", level, "dueAt", "firedAt")
       SELECT gen_random_uuid(), w.id, l.level::"SlaLevel", w."dueAt", w."receivedAt" + (w."dueAt" - w."receivedAt") * l.share
       FROM "WorklistItem" w, (VALUES ('WARN_50', 0.5), ('WARN_80', 0.8), ('BREACH', 1.0)) AS l(level, share)
       WHERE w.state <> 'FINAL' AND w."receivedAt" + (w."dueAt" - w."receivedAt") * l.share <= now()
       RETURNING "worklistItemId", level, "firedAt")
     UPDATE "WorklistItem" w SET "breachedAt" = f."firedAt" FROM fired f WHERE f."worklistItemId" = w.id AND f.level = 'BREACH'`,
  );
  // What autovacuum leaves on a table in use (visibility map set, statistics): a bulk load has neither yet.
  await db.query('VACUUM ANALYZE');
  // The bulk load's gigabytes of WAL would otherwise keep the checkpointer writing for a minute or
  // two, through the measurement (every read waits on its audit event's commit).
  await db.query('CHECKPOINT');
  const { rows } = await db.query(`SELECT state, count(*)::int AS n FROM "WorklistItem" GROUP BY state ORDER BY state`);
  log(`seeded in ${((performance.now() - t0) / 1000).toFixed(0)} s:`, rows.map((r) => `${r.state} ${r.n}`).join(', '));
}

/** The 10 STAT cases of the claim storm: unread, at a hospital every storm reader may read, routed GENERAL. */
async function stormCases(db) {
  const { rows } = await db.query(
    `UPDATE "WorklistItem" SET priority = 'STAT', subspecialty = 'GENERAL', state = 'UNREAD', "claimedById" = NULL
     WHERE id IN (SELECT w.id FROM "WorklistItem" w WHERE w.state = 'FINAL' ORDER BY w.id LIMIT 10) RETURNING id, "hospitalId"`,
  );
  return rows;
}

/**
 * wrk (C, from Debian's package) when installed: it leaves the two cores to the backend and
 * PostgreSQL, where autocannon (JavaScript) takes a good part of one. Requests rotate over the
 * readers' tokens, as a proxy's keep-alive connections carry many users (autocannon: one reader
 * per connection). Both report the same figures: latency p50/p99 in ms, req/s, failures.
 *
 * `rate` (req/s over all connections): each connection pauses between its requests (random,
 * exponentially distributed) so that together they offer about that rate, as readers acting
 * independently would, instead of firing back to back. With
 * every connection always busy, latency is only queueing (connections / throughput); at a rate
 * the service keeps up with, it is what a reader waits.
 */
const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((p) => fs.existsSync(p));

function runLoad(url, tokens, connections, rate) {
  return WRK ? runWrk(url, tokens, connections, rate) : runAutocannon(url, tokens, connections, rate);
}

async function runWrk(url, tokens, connections, rate, seconds = SECONDS) {
  const tokenFile = path.join(work, 'tokens.txt');
  const script = path.join(work, 'rotate.lua');
  fs.writeFileSync(tokenFile, tokens.join('\n') + '\n');
  fs.writeFileSync(
    script,
    `local tokens, i, pause = {}, 0, 0
function init(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
  i = math.random(#tokens)
  pause = tonumber(args[2])
end
-- Exponential pauses (readers acting independently): a fixed pause keeps the connections in step,
-- and their requests then arrive in bursts that queue behind each other.
function delay()
  if pause == 0 then return 0 end
  return math.floor(-math.log(1 - math.random()) * pause)
end
function request()
  i = i % #tokens + 1
  return wrk.format("GET", nil, { Authorization = "Bearer " .. tokens[i], ["Accept-Encoding"] = "gzip" })
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d\\n", summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.mean, e.connect + e.read + e.write + e.timeout, e.status))
end
`,
  );
  const wrk = async (pauseMs, secs) => {
    const out = await new Promise((resolve, reject) => {
      const child = spawn(WRK, ['-t1', `-c${connections}`, `-d${secs}s`, '--timeout', '5s', '-s', script, url, '--', tokenFile, String(pauseMs)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited ${code}: ${text}`))));
    });
    const m = /RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)/.exec(out);
    if (!m) throw new Error(`wrk printed no result: ${out}`);
    const [requests, durationUs, p50Us, p99Us, meanUs, errors, non2xx] = m.slice(1).map(Number);
    const ms = (us) => Math.round(us / 10) / 100;
    return { latency: { p50: ms(p50Us), p99: ms(p99Us), mean: meanUs / 1000 }, requests: { average: requests / (durationUs / 1e6) }, non2xx, errors, timeouts: 0 };
  };
  if (!rate) return wrk(0, seconds);
  // A connection's cycle is its pause plus the reply's latency: calibrate the pause on a short run,
  // by its median (one stall in the probe must not turn the measurement into a back-to-back run).
  const cycle = (connections * 1000) / rate;
  const probe = await wrk(Math.round(cycle), 3);
  return wrk(Math.round(Math.max(cycle / 2, cycle - probe.latency.p50)), seconds);
}

function runAutocannon(url, tokens, connections, rate) {
  let next = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections,
        duration: SECONDS,
        ...(rate ? { overallRate: rate } : {}),
        requests: [
          {
            method: 'GET',
            // Each connection is one reader: its own token for the whole run.
            setupRequest: (req, context) => {
              context.token ??= tokens[next++ % tokens.length];
              return { ...req, headers: { ...req.headers, authorization: `Bearer ${context.token}` } };
            },
          },
        ],
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

async function main() {
  if (!args.includes('--no-build')) buildBackend(log);
  const dbUrl = REUSE ? Object.assign(new URL(adminUrl), { pathname: `/${REUSE}` }) : await scratchDatabase(adminUrl, dbName, KEEP, cleanups);
  const db = new pg.Client({ connectionString: dbUrl.toString() });
  await db.connect();
  cleanups.push(() => db.end());

  // Cheap argon2 parameters for the bench accounts: logins are not what is measured.
  const passwordHash = await argon2.hash(PASSWORD, { type: argon2.argon2id, memoryCost: 1024, timeCost: 1 });
  if (REUSE) {
    log(`measuring on ${REUSE} as seeded before`);
    await db.query(`UPDATE "User" SET "passwordHash" = $1`, [passwordHash]);
  } else {
    log(`seeding ${STUDIES.toLocaleString('en-US')} studies over ${HOSPITALS} hospitals and ${READERS} radiologists`);
    await seed(db, passwordHash);
  }
  if (KEEP) log(`the database is kept: measure again with --reuse ${dbName}; drop it with: psql -c 'DROP DATABASE ${dbName}'`);
  const storm = await stormCases(db);

  // --profile DIR: the backend writes a CPU profile there when it exits (open it in Chrome's DevTools).
  const profile = args.includes('--profile') ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(args[args.indexOf('--profile') + 1])] : [];
  // (Its queues hold tens of thousands of SLA jobs at 1M studies: startPlatform removes them at exit.)
  const { url: platform } = await startPlatform({
    databaseUrl: dbUrl,
    workDir: work,
    cleanups,
    nodeArgs: profile,
    env: { STUDY_STABLE_SECONDS: '3600', ACCESS_CACHE_SECONDS: String(ACCESS_CACHE_SECONDS) },
  });
  const login = async (email) => {
    const r = await fetch(`${platform}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
    if (!r.ok) throw new Error(`login ${email}: ${r.status} ${await r.text()}`);
    return (await r.json()).accessToken;
  };
  log('signing in 256 radiologists');
  const tokens = [];
  for (let r = 0; r < 256; r += 8) tokens.push(...(await Promise.all(Array.from({ length: 8 }, (_, k) => login(`rad${r + k}@bench.example`)))));

  const first = await fetch(`${platform}/api/worklist?limit=50`, { headers: { authorization: `Bearer ${tokens[0]}` } }).then((r) => r.json());
  log(`reader 0 sees ${first.total} open cases; first page ${first.items.length}, first priority ${first.items[0]?.priority}`);

  const results = {};
  log(`load generator: ${WRK ?? 'autocannon (apt-get install wrk to leave more CPU to the backend)'}`);
  const url = `${platform}/api/worklist?limit=50`;
  const line = (r) => `p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, ${Math.round(r.requests.average)} req/s` + (r.non2xx + r.errors + r.timeouts ? ` (${r.non2xx + r.errors + r.timeouts} failed)` : '');
  for (const connections of CONNECTIONS) {
    await runLoad(url, tokens, 16); // warm-up
    const saturated = await runLoad(url, tokens, connections);
    console.log(`GET /api/worklist @${connections} connections, back to back: ${line(saturated)}`);
    const paced = await runLoad(url, tokens, connections, TARGET_RATE);
    console.log(`GET /api/worklist @${connections} connections, ${TARGET_RATE.toLocaleString('en-US')} req/s offered: ${line(paced)}`);
    results[connections] = { saturated, paced };
  }

  // Claim storm: 200 readers (each may read every storm case) all claim all 10 at once, in shuffled order.
  log('claim storm: 200 readers × 10 STAT cases');
  // Taken back after the storm (also on failure: again at exit, a no-op then), so that a database measured again (--reuse) is as seeded.
  const { rows: grantedPrivileges } = await db.query(
    `INSERT INTO "Privilege" (id, "userId", "hospitalId", "expiresAt")
     SELECT gen_random_uuid(), u.id, h.id, now() + interval '1 year' FROM "User" u, (SELECT DISTINCT "hospitalId" AS id FROM unnest($1::uuid[]) AS x("hospitalId")) h
     WHERE u.email ~ '^rad([0-9]|[1-9][0-9]|1[0-9][0-9])@' ON CONFLICT DO NOTHING RETURNING id`,
    [storm.map((s) => s.hospitalId)],
  );
  const { rows: grantedLicenses } = await db.query(
    `INSERT INTO "License" (id, "userId", jurisdiction, "expiresAt")
     SELECT gen_random_uuid(), u.id, s, now() + interval '1 year' FROM "User" u, unnest($1::text[]) s
     WHERE u.email ~ '^rad([0-9]|[1-9][0-9]|1[0-9][0-9])@' ON CONFLICT DO NOTHING RETURNING id`,
    [STATES],
  );
  const revokeStormGrants = async () => {
    await db.query(`DELETE FROM "Privilege" WHERE id = ANY($1::uuid[])`, [grantedPrivileges.map((r) => r.id)]);
    await db.query(`DELETE FROM "License" WHERE id = ANY($1::uuid[])`, [grantedLicenses.map((r) => r.id)]);
  };
  cleanups.push(revokeStormGrants);
  // Granted around the platform (no change announced): effective once cached scopes have lapsed.
  await new Promise((r) => setTimeout(r, ACCESS_CACHE_SECONDS * 1000 + 500));
  const stormTokens = tokens.slice(0, 200);
  const wins = new Map(storm.map((s) => [s.id, []]));
  const statuses = {};
  const t0 = performance.now();
  await Promise.all(
    stormTokens.map(async (token, k) => {
      const order = [...storm].sort((a, b) => ((a.id.charCodeAt(k % 36) ^ k) % 7) - ((b.id.charCodeAt(k % 36) ^ k) % 7));
      for (const c of order) {
        const r = await fetch(`${platform}/api/worklist/${c.id}/claim`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        if (r.status === 200) wins.get(c.id).push(k);
        await r.arrayBuffer();
      }
    }),
  );
  const stormMs = performance.now() - t0;
  const doubles = [...wins.values()].filter((w) => w.length > 1).length;
  const unclaimed = [...wins.values()].filter((w) => w.length === 0).length;
  const { rows: dbClaims } = await db.query(`SELECT count(*)::int AS n FROM "WorklistItem" WHERE id = ANY($1::uuid[]) AND state = 'CLAIMED'`, [storm.map((s) => s.id)]);
  // The EXPLAINs below are of reader 0 as seeded.
  await revokeStormGrants();
  console.log(
    `claim storm: 200 clients × 10 STAT cases in ${stormMs.toFixed(0)} ms: ${Object.entries(statuses).map(([s, n]) => `${n}×${s}`).join(', ')}; ` +
      `double claims ${doubles}, unclaimed ${unclaimed}, claimed in DB ${dbClaims[0].n}/10`,
  );

  // The hot queries must use indexes: the first page of a reader's eligible open cases, and a claim.
  const { rows: scope } = await db.query(
    `SELECT array_agg(DISTINCT p."hospitalId") AS hospitals, min(u.subspecialties::text) AS subs
     FROM "User" u JOIN "Privilege" p ON p."userId" = u.id JOIN "Hospital" h ON h.id = p."hospitalId"
     JOIN "License" l ON l."userId" = u.id AND l.jurisdiction = h.jurisdiction WHERE u.email = 'rad0@bench.example'`,
  );
  const plan = async (sql, params) => (await db.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`, params)).rows.map((r) => r['QUERY PLAN']).join('\n');
  // The page and the total of WorklistRepository.list (same WHERE, ORDER BY and parameters; the
  // statement then joins the 50 rows to their study, patient, hospital… by primary key).
  const subs = scope[0].subs.replace(/[{}]/g, '').split(',').concat('GENERAL');
  const where = `w.state = ANY($1::"WorklistState"[]) AND w."hospitalId" = ANY($2::uuid[]) AND w.subspecialty = ANY($3::"Subspecialty"[])`;
  const pageParams = [['UNREAD', 'CLAIMED', 'PRELIMINARY'], scope[0].hospitals, subs];
  console.log('\nEXPLAIN first page of reader 0:\n' +
    (await plan(
      `SELECT w.id, w."hospitalId", w."studyId", w."orderId", w.priority, w.subspecialty, w."routingReason", w.state,
              w."receivedAt", w."dueAt", w."claimedById", w."claimSource", w."leaseExpiresAt", w."breachedAt", w.version
       FROM "WorklistItem" w WHERE ${where} ORDER BY w.priority, w."dueAt", w.id LIMIT $4 OFFSET $5`,
      [...pageParams, 50, 0],
    )));
  console.log('\nEXPLAIN total of reader 0:\n' + (await plan(`SELECT count(*) FROM "WorklistItem" w WHERE ${where}`, pageParams)));
  // (inside a rolled-back transaction: EXPLAIN ANALYZE runs the UPDATE)
  await db.query('BEGIN');
  console.log('\nEXPLAIN claim:\n' +
    (await plan(`UPDATE "WorklistItem" SET state = 'CLAIMED' WHERE id = $1 AND state = 'UNREAD'`, [storm[0].id])));
  await db.query('ROLLBACK');

  // Throughput: back to back. Latency: at the target rate (back to back it is connections ÷ throughput,
  // e.g. 256 in flight at 2,500 req/s queue ~100 ms whatever the service does).
  const ok = (c) => results[c].saturated.requests.average >= TARGET_RATE && results[c].paced.latency.p99 <= 25 && results[c].paced.requests.average >= 0.95 * TARGET_RATE;
  const verdict = (c) => (!results[c] ? 'not measured' : ok(c) ? 'met' : 'NOT met');
  console.log(
    `\ntargets ≥ ${TARGET_RATE.toLocaleString('en-US')} req/s, and p99 ≤ 25 ms at that rate: @64 ${verdict(64)}, @256 ${verdict(256)}; ` +
      `double claims ${doubles === 0 ? '0 (met)' : `${doubles} (NOT met)`}`,
  );
}

main()
  .then(cleanup, async (err) => {
    console.error(err);
    await cleanup();
    process.exit(1);
  });
