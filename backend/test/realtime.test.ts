import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenService } from '../src/auth/token.service.js';
import type { WorklistChange, WorklistClientToServer, WorklistServerToClient } from '../src/contracts/worklist.js';
import type { Subspecialty } from '../src/generated/prisma/enums.js';
import { NotificationsService } from '../src/notifications/notifications.service.js';
import { WorklistEvents } from '../src/realtime/worklist-events.service.js';
import { WorklistGateway } from '../src/realtime/worklist.gateway.js';
import { WorklistIntakeService } from '../src/worklist/worklist-intake.service.js';
import { createStudy, seedWorld, type World } from './fixtures.js';
import { client, createTestDatabase, startApp, type TestApp } from './harness.js';

type LiveSocket = Socket<WorklistServerToClient, WorklistClientToServer>;
type Received = { event: string; args: unknown[] };

const YEAR = new Date(Date.now() + 365 * 86_400_000);
/** How long a socket that must not hear about a case is watched after the others heard it. */
const QUIET_MS = 300;

let db: Awaited<ReturnType<typeof createTestDatabase>>;
/** Two backend processes on one database and one Redis (the second runs no workers). */
let t1: TestApp;
let t2: TestApp;
let world: World;
const prefix = `rt_${randomBytes(4).toString('hex')}`;
const tokens: Record<string, string> = {};
const users: Record<string, { id: string }> = {};
const sockets: LiveSocket[] = [];
const heard = new Map<LiveSocket, Received[]>();

/** Connects as the typed client the web app uses; resolves once connected or rejects with connect_error. */
function connect(app: TestApp, opts: { token?: string; query?: Record<string, string> } = {}): Promise<LiveSocket> {
  const socket = io(`${app.baseUrl}/worklist`, {
    auth: opts.token === undefined ? {} : { token: opts.token },
    query: opts.query,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  }) as LiveSocket;
  sockets.push(socket);
  const log: Received[] = [];
  heard.set(socket, log);
  socket.onAny((event: string, ...args: unknown[]) => log.push({ event, args }));
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => reject(err));
  });
}

/**
 * Watches for the next `event` matching `match` from now on; `within()`, called once the change
 * was made (HTTP answered, changed() returned), waits at most `ms` more: the one-second promise.
 */
function watch<E extends keyof WorklistServerToClient>(
  socket: LiveSocket,
  event: E,
  match: (arg: Parameters<WorklistServerToClient[E]>[0]) => boolean,
) {
  type Arg = Parameters<WorklistServerToClient[E]>[0];
  let received!: (arg: Arg) => void;
  const arrived = new Promise<Arg>((resolve) => (received = resolve));
  const listener = (arg: Arg) => {
    if (match(arg)) received(arg);
  };
  socket.on(event, listener as never);
  return {
    async within(ms = 1000): Promise<Arg> {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms)));
      try {
        return await Promise.race([arrived, late]);
      } finally {
        clearTimeout(timer);
        socket.off(event, listener as never);
      }
    },
  };
}

/** Waits long enough for anything that was going to arrive (the others already heard it). */
const quiet = () => new Promise((r) => setTimeout(r, QUIET_MS));

/** Everything a socket heard mentioning this id (a case or a notification). */
const heardAbout = (socket: LiveSocket, id: string): Received[] => heard.get(socket)!.filter((e) => JSON.stringify(e.args).includes(id));


beforeAll(async () => {
  db = await createTestDatabase();
  t1 = await startApp(db.url, { QUEUE_PREFIX: prefix });
  t2 = await startApp(db.url, { QUEUE_PREFIX: prefix, WORKERS_ENABLED: 'false', WORKLIST_RESUBSCRIBE_SECONDS: '1' });
  world = await seedWorld(t1.prisma);
  const { passwordHash, networkId } = world.users.radA;
  const radiologist = (email: string, jurisdiction: string, hospitalId: string, subspecialties: Subspecialty[]) =>
    t1.prisma.user.create({
      data: {
        email,
        displayName: email.split('@')[0],
        passwordHash,
        role: 'RADIOLOGIST',
        networkId,
        subspecialties,
        licenses: { create: [{ jurisdiction, expiresAt: YEAR }] },
        privileges: { create: [{ hospitalId, expiresAt: YEAR }] },
      },
    });
  Object.assign(users, world.users, {
    radB: await radiologist('rad.b@test.example', 'CA', world.hospitalB.id, ['NEURO']),
    radChest: await radiologist('rad.chest@test.example', 'TX', world.hospitalA.id, ['CHEST']),
    radLapsing: await radiologist('rad.lapsing@test.example', 'TX', world.hospitalA.id, ['NEURO']),
  });
  const api = client(t1.baseUrl);
  const emails: Record<string, string> = {
    admin: 'admin@test.example',
    staffA: 'staff.a@test.example',
    specialist: 'specialist@test.example',
    radA: 'rad.a@test.example',
    radAB: 'rad.ab@test.example',
    radExpiredLicense: 'rad.lic@test.example',
    radB: 'rad.b@test.example',
    radChest: 'rad.chest@test.example',
    radLapsing: 'rad.lapsing@test.example',
  };
  for (const [name, email] of Object.entries(emails)) tokens[name] = (await api.login(email)).accessToken;
});

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await t2?.close();
  await t1?.close();
  await db?.drop();
  // Both apps were given one shared prefix, which the harness does not clean up itself.
  const redis = new Redis(t1?.config.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('live worklist over socket.io', () => {
  let s: Record<string, LiveSocket>;

  beforeAll(async () => {
    s = {};
    for (const name of ['admin', 'staffA', 'specialist', 'radA', 'radAB', 'radExpiredLicense', 'radB', 'radChest']) {
      s[name] = await connect(t1, { token: tokens[name] });
    }
    // The same reader in another tab, served by the other backend process.
    s.radAOn2 = await connect(t2, { token: tokens.radA });
  });

  it('a claim through the API reaches every eligible worklist within a second, in both processes, and no one else', async () => {
    const item = world.cases.a.item; // hospital A, NEURO
    const isIt = (c: WorklistChange) => c.id === item.id && c.state === 'CLAIMED';
    const expected = ['radA', 'radAOn2', 'radAB', 'admin'].map((name) => watch(s[name], 'worklist:changed', isIt));
    const claimed = await client(t1.baseUrl).post(`/api/worklist/${item.id}/claim`, undefined, { token: tokens.radAB });
    expect(claimed.status).toBe(200);
    const [change] = await Promise.all(expected.map((w) => w.within()));
    expect(change).toEqual({
      id: item.id,
      version: item.version + 1,
      hospitalId: world.hospitalA.id,
      subspecialty: 'NEURO',
      priority: 'STAT',
      state: 'CLAIMED',
      dueAt: item.dueAt.toISOString(),
      claimedBy: users.radAB.id,
      claimedByName: 'rad.ab',
      claimSource: 'CLAIM',
      leaseExpiresAt: expect.any(String),
      breachedAt: null,
    });
    // Another hospital, another subspecialty, a lapsed license, staff, a specialist: nothing.
    await quiet();
    for (const name of ['radB', 'radChest', 'radExpiredLicense', 'staffA', 'specialist']) {
      expect(heardAbout(s[name], item.id), name).toEqual([]);
    }
  });

  it('a new case from intake reaches its audience; a case changed directly reaches it after WorklistEvents.changed', async () => {
    const { study } = await createStudy(t1.prisma, world.hospitalA.id);
    const arrived = watch(s.radAOn2, 'worklist:changed', (c) => c.state === 'UNREAD' && c.hospitalId === world.hospitalA.id);
    await t1.app.get(WorklistIntakeService).ensureItem(study.id);
    const change = await arrived.within();
    const row = await t1.prisma.worklistItem.findUniqueOrThrow({ where: { studyId: study.id } });
    expect(change).toMatchObject({ id: row.id, subspecialty: 'NEURO', version: row.version, claimedBy: null });
    await quiet();
    expect(heardAbout(s.radB, row.id)).toEqual([]);

    // A job in any process: bump priority in the database, then publish from the second app.
    const updated = await t1.prisma.worklistItem.update({ where: { id: row.id }, data: { priority: 'URGENT', version: { increment: 1 } } });
    const changed = watch(s.radA, 'worklist:changed', (c) => c.id === row.id && c.priority === 'URGENT');
    await t2.app.get(WorklistEvents).changed([row.id]);
    expect((await changed.within()).version).toBe(updated.version);
  });

  it('re-routing tells the old audience to drop the case and the new one to show it', async () => {
    const { study } = await createStudy(t1.prisma, world.hospitalA.id);
    const item = await t1.prisma.worklistItem.create({
      data: { hospitalId: world.hospitalA.id, studyId: study.id, priority: 'ROUTINE', subspecialty: 'NEURO', receivedAt: new Date(), dueAt: new Date(Date.now() + 3_600_000) },
    });
    const moved = await t1.prisma.worklistItem.update({ where: { id: item.id }, data: { subspecialty: 'CHEST', version: { increment: 1 } } });
    const removed = watch(s.radA, 'worklist:removed', (e) => e.id === item.id);
    const shown = ['radChest', 'radAB', 'admin'].map((name) => watch(s[name], 'worklist:changed', (c) => c.id === item.id));
    await t1.app.get(WorklistEvents).changed([item.id], new Map([[item.id, { hospitalId: world.hospitalA.id, subspecialty: 'NEURO' as const }]]));
    expect(await removed.within()).toEqual({ id: item.id, version: moved.version });
    expect((await Promise.all(shown.map((w) => w.within()))).map((c) => c.subspecialty)).toEqual(['CHEST', 'CHEST', 'CHEST']);
    // Readers in both the old and the new audience only see the change; the old-only reader only the removal.
    await quiet();
    expect(heardAbout(s.radAB, item.id).map((e) => e.event)).toEqual(['worklist:changed']);
    expect(heardAbout(s.radA, item.id).map((e) => e.event)).toEqual(['worklist:removed']);
    expect(heardAbout(s.radB, item.id)).toEqual([]);
  });

  it('a notification reaches only its user, on every process', async () => {
    const onTab1 = watch(s.radA, 'notification', (n) => n.title === 'Case assigned');
    const onTab2 = watch(s.radAOn2, 'notification', (n) => n.title === 'Case assigned');
    await t1.app.get(NotificationsService).send([users.radA.id], { kind: 'ASSIGNED', title: 'Case assigned', body: 'A STAT head CT is yours' });
    const [n] = await Promise.all([onTab1.within(), onTab2.within()]);
    expect(n).toMatchObject({ kind: 'ASSIGNED', body: 'A STAT head CT is yours', readAt: null });
    await quiet();
    for (const name of ['radAB', 'admin', 'radChest']) expect(heardAbout(s[name], n.id), name).toEqual([]);
  });

  it('counts connected worklist sockets in /metrics', async () => {
    const metrics = await (await fetch(`${t1.baseUrl}/metrics`)).text();
    expect(Number(metrics.match(/^teleread_worklist_sockets (\d+)/m)?.[1])).toBeGreaterThanOrEqual(8);
  });
});

describe('who may connect', () => {
  it('refuses a missing, invalid or expired token with connect_error', async () => {
    await expect(connect(t1)).rejects.toThrow(/Missing access token/);
    await expect(connect(t1, { token: 'not-a-jwt' })).rejects.toThrow(/Invalid access token/);
    const expired = t1.app.get(TokenService).signAccess(users.radA.id, 'RADIOLOGIST', -10);
    await expect(connect(t1, { token: expired })).rejects.toThrow(/expired/);
  });

  it('does not accept the token in the query string', async () => {
    await expect(connect(t1, { query: { token: tokens.radA } })).rejects.toThrow(/URL/);
  });

  it('closes the socket when its access token expires', async () => {
    const short = t1.app.get(TokenService).signAccess(users.radA.id, 'RADIOLOGIST', 2);
    const socket = await connect(t1, { token: short });
    const reason = await new Promise<string>((resolve) => socket.once('disconnect', resolve));
    expect(reason).toBe('io server disconnect');
  });
});

describe('following credentials', () => {
  it('resubscribe and the periodic check drop cases a reader no longer qualifies for', async () => {
    const gateway = t2.app.get(WorklistGateway);
    const socket = await connect(t2, { token: tokens.radLapsing });
    expect(await socket.timeout(2000).emitWithAck('worklist:resubscribe')).toEqual({ rooms: 3 }); // own room + A × (NEURO, GENERAL)

    // The privilege at A lapses: within a check interval (1 s here) the socket leaves A's rooms by itself.
    await t1.prisma.privilege.updateMany({ where: { userId: users.radLapsing.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const deadline = Date.now() + 3000;
    const rooms = () => [...(gateway.server!.sockets.get(socket.id!)?.rooms ?? [])].filter((r) => r.startsWith('cases:'));
    while (rooms().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(rooms()).toEqual([]);
    expect(await socket.timeout(2000).emitWithAck('worklist:resubscribe')).toEqual({ rooms: 1 });

    const { study } = await createStudy(t1.prisma, world.hospitalA.id);
    const item = await t1.prisma.worklistItem.create({
      data: { hospitalId: world.hospitalA.id, studyId: study.id, priority: 'STAT', subspecialty: 'NEURO', receivedAt: new Date(), dueAt: new Date(Date.now() + 3_600_000) },
    });
    const radA = await connect(t2, { token: tokens.radA });
    const seen = watch(radA, 'worklist:changed', (c) => c.id === item.id);
    await t1.app.get(WorklistEvents).changed([item.id]);
    await seen.within();
    await quiet();
    expect(heardAbout(socket, item.id)).toEqual([]);
  });
});

describe('when Redis is down', () => {
  it('publishing never throws into the caller, and nothing crashes', async () => {
    // A private Redis this test may kill (the shared one serves other test files).
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as net.AddressInfo;
        srv.close(() => resolve(port));
      });
    });
    const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const db2 = await createTestDatabase();
    let app: TestApp | undefined;
    try {
      for (let up = false, i = 0; !up && i < 50; i++) {
        up = await new Promise<boolean>((resolve) => {
          const c = net.connect(port, '127.0.0.1', () => (c.end(), resolve(true))).on('error', () => resolve(false));
        });
        if (!up) await new Promise((r) => setTimeout(r, 100));
      }
      app = await startApp(db2.url, { REDIS_URL: `redis://127.0.0.1:${port}`, WORKERS_ENABLED: 'false' });
      const w = await seedWorld(app.prisma);
      redis.kill('SIGKILL');
      await new Promise((r) => redis.once('exit', r));
      const events = app.app.get(WorklistEvents);
      await expect(events.changed([w.cases.a.item.id])).resolves.toBeUndefined();
      await expect(events.notify(w.users.radA.id, { id: 'n1', kind: 'ASSIGNED', title: 't', body: 'b', worklistItemId: null, createdAt: new Date().toISOString(), readAt: null })).resolves.toBeUndefined();
      // Give the queued PUBLISHes time to fail: an unhandled rejection would fail this run.
      await new Promise((r) => setTimeout(r, 1000));
      expect((await fetch(`${app.baseUrl}/health`)).status).toBe(503);
    } finally {
      redis.kill('SIGKILL');
      await app?.close();
      await db2.drop();
    }
  });
});
