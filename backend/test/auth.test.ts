import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenService } from '../src/auth/token.service.js';
import { InvalidationBus } from '../src/cache/invalidation-bus.js';
import { RedisService } from '../src/redis/redis.service.js';
import { client, createTestDatabase, PASSWORD, startApp, type TestApp } from './harness.js';
import { seedWorld, type World } from './fixtures.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestApp;
let world: World;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await startApp(db.url, { LOGIN_MAX_FAILURES: '3', LOGIN_IP_MAX_FAILURES: '1000' });
  world = await seedWorld(t.prisma);
  api = client(t.baseUrl);
});
afterAll(async () => {
  await t?.close();
  await db?.drop();
});

describe('login', () => {
  it('returns tokens and the user for the right password', async () => {
    const r = await api.post('/api/auth/login', { email: 'rad.a@test.example', password: PASSWORD });
    expect(r.status).toBe(200);
    expect(r.body.user).toMatchObject({ email: 'rad.a@test.example', role: 'RADIOLOGIST', id: world.users.radA.id });
    expect(r.body.accessToken).toMatch(/^ey/);
    expect(r.body.refreshToken).toMatch(/^rt_/);
    const me = await api.get('/api/auth/me', { token: r.body.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ email: 'rad.a@test.example', role: 'RADIOLOGIST' });
  });

  it('treats the email case-insensitively', async () => {
    const r = await api.post('/api/auth/login', { email: 'Rad.A@Test.Example', password: PASSWORD });
    expect(r.status).toBe(200);
  });

  it('answers 401 for a wrong password and for an unknown email, with the same message', async () => {
    const wrong = await api.post('/api/auth/login', { email: 'rad.ab@test.example', password: 'nope' });
    const unknown = await api.post('/api/auth/login', { email: 'nobody@test.example', password: 'nope' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.message).toBe(unknown.body.message);
    // A later correct login resets the failure counter.
    expect((await api.post('/api/auth/login', { email: 'rad.ab@test.example', password: PASSWORD })).status).toBe(200);
  });

  it('locks an account after consecutive failures, even for the right password', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await api.post('/api/auth/login', { email: 'staff.b@test.example', password: 'wrong' })).status).toBe(401);
    }
    const locked = await api.post('/api/auth/login', { email: 'staff.b@test.example', password: PASSWORD });
    expect(locked.status).toBe(423);
    expect(locked.body.message).toMatch(/locked/i);
    // Lockout is per account: other users are unaffected.
    expect((await api.post('/api/auth/login', { email: 'staff.a@test.example', password: PASSWORD })).status).toBe(200);
    const audit = await t.prisma.auditEvent.findMany({ where: { action: 'auth.login', objectId: world.users.staffB.id } });
    expect(audit.map((a) => a.outcome)).toEqual(['FAILURE', 'FAILURE', 'FAILURE', 'DENIED']);
  });

  it('validates the body: missing field, wrong type, unknown field, malformed JSON', async () => {
    const missing = await api.post('/api/auth/login', { email: 'a@b.example' });
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body.message)).toContain('password');
    const wrongType = await api.post('/api/auth/login', { email: 'a@b.example', password: 42 });
    expect(wrongType.status).toBe(400);
    expect(JSON.stringify(wrongType.body.message)).toContain('password');
    const unknown = await api.post('/api/auth/login', { email: 'a@b.example', password: 'x', admin: true });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body.message)).toContain('admin');
    const malformed = await api.call('POST', '/api/auth/login', { raw: '{"email": "a@b.example", "password": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.message).toMatch(/Malformed JSON/);
  });
});

describe('access tokens', () => {
  it('rejects missing, malformed, forged and expired tokens with 401', async () => {
    expect((await api.get('/api/auth/me')).status).toBe(401);
    expect((await api.get('/api/auth/me', { token: 'not-a-jwt' })).status).toBe(401);
    const { accessToken } = await api.login('rad.a@test.example');
    const [h, p] = accessToken.split('.');
    const forged = `${h}.${p}.${'A'.repeat(43)}`;
    expect((await api.get('/api/auth/me', { token: forged })).status).toBe(401);
    const expired = t.app.get(TokenService).signAccess(world.users.radA.id, 'RADIOLOGIST', -10);
    const r = await api.get('/api/auth/me', { token: expired });
    expect(r.status).toBe(401);
    expect(r.body.message).toBe('Access token expired');
  });

  it('stops working at once when the account is deactivated', async () => {
    const { accessToken } = await api.login('rad.priv@test.example');
    expect((await api.get('/api/auth/me', { token: accessToken })).status).toBe(200);
    await t.prisma.user.update({ where: { id: world.users.radExpiredPrivilege.id }, data: { active: false } });
    // What a deactivation through the platform announces to every process (accounts are cached briefly).
    await t.app.get(InvalidationBus).publish('credentials', { userIds: [world.users.radExpiredPrivilege.id] });
    expect((await api.get('/api/auth/me', { token: accessToken })).status).toBe(401);
  });
});

describe('refresh tokens', () => {
  it('rotates: the new pair works and the old refresh token does not', async () => {
    const first = await api.login('admin@test.example');
    const second = await api.post('/api/auth/refresh', { refreshToken: first.refreshToken });
    expect(second.status).toBe(200);
    expect(second.body.refreshToken).not.toBe(first.refreshToken);
    expect((await api.get('/api/auth/me', { token: second.body.accessToken })).status).toBe(200);
    const replay = await api.post('/api/auth/refresh', { refreshToken: first.refreshToken });
    expect(replay.status).toBe(401);
    // Replaying a rotated token revokes the whole login: the newest token is dead too.
    const after = await api.post('/api/auth/refresh', { refreshToken: second.body.refreshToken });
    expect(after.status).toBe(401);
  });

  it('gives exactly one new pair when the same token is refreshed concurrently', async () => {
    const { refreshToken } = await api.login('admin@test.example');
    const results = await Promise.all(Array.from({ length: 8 }, () => api.post('/api/auth/refresh', { refreshToken })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
  });

  it('refuses a revoked (logged out) refresh token', async () => {
    const { refreshToken } = await api.login('staff.a@test.example');
    expect((await api.post('/api/auth/logout', { refreshToken })).status).toBe(204);
    const r = await api.post('/api/auth/refresh', { refreshToken });
    expect(r.status).toBe(401);
    expect(r.body.message).toMatch(/revoked/);
  });

  it('refuses an expired refresh token and an unknown one', async () => {
    const { refreshToken } = await api.login('staff.a@test.example');
    await t.prisma.refreshToken.updateMany({ where: { userId: world.users.staffA.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await api.post('/api/auth/refresh', { refreshToken })).body.message).toMatch(/expired/);
    expect((await api.post('/api/auth/refresh', { refreshToken: 'rt_unknown' })).status).toBe(401);
  });
});

describe('per-address throttling', () => {
  it('answers 429 to wrong passwords past the limit but still lets a right password in', async () => {
    const t2 = await startApp(db.url, { LOGIN_IP_MAX_FAILURES: '3', LOGIN_MAX_FAILURES: '100' });
    // The app trusts loopback proxies, so X-Forwarded-For sets the client address.
    const api2 = client(t2.baseUrl);
    // Random documentation-range addresses: Redis counters outlive a test run.
    const ip = () => `203.0.113.${1 + Math.floor(Math.random() * 250)}`;
    const first = ip();
    let second = ip();
    while (second === first) second = ip();
    const redis = t2.app.get(RedisService);
    await redis.del(`teleread:login-failures:ip:${first}`, `teleread:login-failures:ip:${second}`);
    const headers = { 'x-forwarded-for': first };
    try {
      const emails = ['specialist@test.example', 'rad.state@test.example', 'rad.lic@test.example'];
      for (const email of emails) {
        expect((await api2.call('POST', '/api/auth/login', { body: { email, password: 'bad' }, headers })).status).toBe(401);
      }
      const throttled = await api2.call('POST', '/api/auth/login', { body: { email: 'rad.ab@test.example', password: 'bad' }, headers });
      expect(throttled.status).toBe(429);
      const ok = await api2.call('POST', '/api/auth/login', { body: { email: 'rad.ab@test.example', password: PASSWORD }, headers });
      expect(ok.status).toBe(200);
      // Another address is not affected.
      const other = await api2.call('POST', '/api/auth/login', { body: { email: 'rad.ab@test.example', password: 'bad' }, headers: { 'x-forwarded-for': second } });
      expect(other.status).toBe(401);
    } finally {
      await t2.close();
    }
  });
});
