import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startApp, waitFor, type TestApp } from './harness.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A private, real Redis server that this test may stop without disturbing other tests. */
async function startRedis(port: number): Promise<ChildProcess> {
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.end(), resolve(true))).on('error', () => resolve(false));
    });
    if (up) return proc;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('redis-server did not start');
}

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestApp;
let redis: ChildProcess;
let port: number;

beforeAll(async () => {
  port = await freePort();
  redis = await startRedis(port);
  db = await createTestDatabase();
  t = await startApp(db.url, { REDIS_URL: `redis://127.0.0.1:${port}` });
});
afterAll(async () => {
  await t?.close();
  redis?.kill('SIGKILL');
  await db?.drop();
});

const health = async () => {
  const res = await fetch(`${t.baseUrl}/health`);
  return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, { status: string }> } };
};

describe('/health', () => {
  it('is 200 when PostgreSQL and Redis answer', async () => {
    const r = await health();
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ok', checks: { postgres: { status: 'up' }, redis: { status: 'up' } } });
  });

  it('turns 503 promptly when Redis stops, and back to 200 when it returns', async () => {
    redis.kill('SIGKILL');
    await new Promise((r) => redis.once('exit', r));
    const started = Date.now();
    const r = await health();
    expect(r.status).toBe(503);
    expect(r.body.checks.redis.status).toBe('down');
    expect(r.body.checks.postgres.status).toBe('up');
    expect(Date.now() - started).toBeLessThan(3_000);
    redis = await startRedis(port);
    await waitFor('/health 200 again', async () => (await health()).status === 200, 10_000);
  });

  it('serves Prometheus metrics and the OpenAPI document without a token', async () => {
    const metrics = await fetch(`${t.baseUrl}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toContain('teleread_http_request_duration_seconds');
    expect(text).toContain('teleread_process_cpu_seconds_total');
    const docs = await fetch(`${t.baseUrl}/api/docs/json`);
    expect(docs.status).toBe(200);
    const spec = (await docs.json()) as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/api/auth/login', '/api/hospitals', '/api/audit', '/health']));
  });
});
