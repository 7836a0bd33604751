// node /tmp/iter.mjs DBNAME [conns=64] [rate=2000] [secs=10] [KEY=VAL ...env]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import pg from 'pg';
import { cleanupStack, root, startPlatform } from './lib.mjs';

const requireBackend = createRequire(path.join(root, 'backend/package.json'));
const argon2 = requireBackend('argon2');
const [dbName, conns = '64', rate = '2000', secs = '10', ...envArgs] = process.argv.slice(2);
const env = Object.fromEntries(envArgs.map((a) => a.split('=')));
const log = (...a) => console.error('#', ...a);
const { cleanups, cleanup } = cleanupStack(log);
const dbUrl = `postgresql://postgres@127.0.0.1:5432/${dbName}`;
const db = new pg.Client({ connectionString: dbUrl });
await db.connect();
const PASSWORD = 'iter-pass';
const hash = await argon2.hash(PASSWORD, { type: argon2.argon2id, memoryCost: 1024, timeCost: 1 });
await db.query(`UPDATE "User" SET "passwordHash" = $1 WHERE email LIKE 'rad%'`, [hash]);
await db.end();
const work = fs.mkdtempSync('/tmp/iterwork-');
const nodeArgs = env.PROFILE ? ['--cpu-prof', '--cpu-prof-dir', env.PROFILE] : [];
const { url, child } = await startPlatform({ databaseUrl: dbUrl, workDir: work, cleanups, nodeArgs, logFile: '/tmp/iter-platform.log', env: { STUDY_STABLE_SECONDS: '3600', ACCESS_CACHE_SECONDS: '2', ...env } });
const login = async (email) => {
  const r = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
  if (!r.ok) throw new Error(`login ${email}: ${r.status}`);
  return (await r.json()).accessToken;
};
const tokens = [];
for (let r = 0; r < 256; r += 8) tokens.push(...(await Promise.all(Array.from({ length: 8 }, (_, k) => login(`rad${r + k}@bench.example`)))));
const tokenFile = path.join(work, 'tokens.txt');
fs.writeFileSync(tokenFile, tokens.join('\n') + '\n');
const script = path.join(work, 'rotate.lua');
fs.writeFileSync(script, `local tokens, i, pause = {}, 0, 0
function init(args)
  for line in io.lines(args[1]) do tokens[#tokens + 1] = line end
  i = math.random(#tokens)
  pause = tonumber(args[2])
end
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
  io.write(string.format("RESULT %d %d %d %d %d %d %d %d\\n", summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.mean, e.connect + e.read + e.write + e.timeout, e.status, latency:percentile(90)))
end
`);
function cpu(pid) {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch { return 0; }
}
function pgPids() {
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => { try { return fs.readFileSync(`/proc/${p}/comm`, 'utf8').startsWith('postgres'); } catch { return false; } });
}
const wrk = async (pauseMs, s) => {
  const p0 = pgPids(); const pg0 = p0.reduce((a, p) => a + cpu(p), 0); const n0 = cpu(child.pid);
  const out = await new Promise((resolve, reject) => {
    const c = spawn('/usr/bin/wrk', ['-t1', `-c${conns}`, `-d${s}s`, '--timeout', '5s', '-s', script, `${url}/api/worklist?limit=50`, '--', tokenFile, String(pauseMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let t = ''; c.stdout.on('data', (d) => (t += d)); c.on('exit', () => resolve(t)); c.on('error', reject);
  });
  const pg1 = pgPids().reduce((a, p) => a + cpu(p), 0); const n1 = cpu(child.pid);
  const m = /RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)/.exec(out);
  const [requests, dur, p50, p99, mean, errors, non2xx, p90] = m.slice(1).map(Number);
  return { rps: Math.round(requests / (dur / 1e6)), p50: p50 / 1000, p90: p90 / 1000, p99: p99 / 1000, mean: mean / 1000, errors, non2xx, nodeCpu: ((n1 - n0) / s).toFixed(0) + '%', pgCpu: ((pg1 - pg0) / s).toFixed(0) + '%' };
};
await wrk(0, 3);
const full = process.env.SKIP_B2B ? {} : await wrk(0, Number(secs));
console.log('back to back', JSON.stringify(full));
const cycle = (Number(conns) * 1000) / Number(rate);
const probe = await wrk(Math.round(cycle), 3);
const paced = await wrk(Math.max(0, Math.round(cycle - probe.mean)), Number(secs));
console.log(`paced ${rate}`, JSON.stringify(paced));
await cleanup();
process.exit(0);
