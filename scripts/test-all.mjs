#!/usr/bin/env node
// `npm test`: every suite, from a fresh clone. Installs dependencies if missing,
// starts PostgreSQL/Redis if down, generates the Prisma client, builds what the
// browser tests run, then runs the backend suite (unit + integration on real
// PostgreSQL/Redis) and the e2e suite (real browser), and prints one closing
// line summed over all of them: "N passed, N failed".
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// No phoning home from Next.js builds on CI (the network is closed anyway).
process.env.NEXT_TELEMETRY_DISABLED ??= '1';
const only = process.argv.slice(2); // e.g. `npm test -- backend`

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  return r.status ?? 1;
}
function must(cmd, args, opts) {
  const status = run(cmd, args, opts);
  if (status !== 0) {
    console.error(`\n${cmd} ${args.join(' ')} failed (exit ${status})`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

if (!fs.existsSync(path.join(root, 'node_modules/.package-lock.json'))) must('npm', ['ci', '--no-audit', '--no-fund']);
must('bash', ['scripts/ensure-services.sh']);
must('npm', ['run', '--silent', 'db:generate']);

const suites = [
  { name: 'backend', dir: 'backend', prepare: [] },
  {
    name: 'e2e',
    dir: 'e2e',
    prepare: [
      ['npm', ['run', '--silent', 'build', '-w', 'backend']],
      ['npm', ['run', '--silent', 'build', '-w', 'frontend']],
    ],
  },
].filter((s) => only.length === 0 || only.includes(s.name));

let passed = 0;
let failed = 0;
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'teleread-test-'));
for (const suite of suites) {
  console.log(`\n=== ${suite.name} ===`);
  for (const [cmd, args] of suite.prepare) must(cmd, args);
  const report = path.join(outDir, `${suite.name}.json`);
  const status = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`], {
    cwd: path.join(root, suite.dir),
  });
  if (!fs.existsSync(report)) {
    // The runner itself crashed before reporting: count the suite as one failure.
    console.error(`${suite.name}: no test report (exit ${status})`);
    failed += 1;
    continue;
  }
  const r = JSON.parse(fs.readFileSync(report, 'utf8'));
  const suiteFailed = r.numFailedTests + (status !== 0 && r.numFailedTests === 0 ? 1 : 0);
  console.log(`${suite.name}: ${r.numPassedTests} passed, ${suiteFailed} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
  passed += r.numPassedTests;
  failed += suiteFailed;
}
fs.rmSync(outDir, { recursive: true, force: true });
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
