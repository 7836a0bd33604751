import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidationBus } from '../src/cache/invalidation-bus.js';
import { client, createTestDatabase, startApp, type TestApp } from './harness.js';
import { seedWorld, type World } from './fixtures.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestApp;
let world: World;
let api: ReturnType<typeof client>;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  db = await createTestDatabase();
  t = await startApp(db.url);
  world = await seedWorld(t.prisma);
  api = client(t.baseUrl);
  for (const [key, user] of Object.entries(world.users)) tokens[key] = (await api.login(user.email)).accessToken;
});
afterAll(async () => {
  await t?.close();
  await db?.drop();
});

type UserKey = keyof World['users'];
// Which hospitals' patient data each user may reach (A = TX, B = CA).
const MATRIX: Record<UserKey, { A: boolean; B: boolean; why: string }> = {
  admin: { A: true, B: true, why: 'network admin' },
  staffA: { A: true, B: false, why: 'staff of A' },
  staffB: { A: false, B: true, why: 'staff of B' },
  radA: { A: true, B: false, why: 'TX license + A privileges' },
  radAB: { A: true, B: true, why: 'licensed and privileged at both' },
  radExpiredLicense: { A: false, B: false, why: 'TX license expired' },
  radExpiredPrivilege: { A: false, B: false, why: 'privileges at A expired' },
  radWrongState: { A: false, B: false, why: 'privileged at B but not licensed in CA' },
  specialist: { A: false, B: false, why: 'specialists reach studies only through consults' },
};

describe('scoping matrix: study read', () => {
  for (const [user, expected] of Object.entries(MATRIX) as [UserKey, (typeof MATRIX)[UserKey]][]) {
    for (const hospital of ['A', 'B'] as const) {
      const allowed = expected[hospital];
      it(`${user} ${allowed ? 'reads' : 'cannot see'} hospital ${hospital}'s study (${expected.why})`, async () => {
        const c = hospital === 'A' ? world.cases.a : world.cases.b;
        const r = await api.get(`/api/studies/${c.study.studyInstanceUid}`, { token: tokens[user] });
        expect(r.status).toBe(allowed ? 200 : 404);
        if (allowed) expect(r.body.patientId).toBe(c.patient.id);
        else expect(r.body.message).toBe('Study not found'); // same answer as a study that does not exist
      });
    }
    it(`${user}: study search lists exactly the allowed hospitals`, async () => {
      const r = await api.get('/api/studies', { token: tokens[user] });
      expect(r.status).toBe(200);
      const hospitals = new Set(r.body.items.map((s: { hospitalId: string }) => s.hospitalId));
      expect(hospitals.has(world.hospitalA.id)).toBe(expected.A);
      expect(hospitals.has(world.hospitalB.id)).toBe(expected.B);
      expect(r.body.total).toBe(Number(expected.A) + Number(expected.B));
    });
  }
});

describe('scoping matrix: worklist and hospitals', () => {
  it('worklist items follow the same matrix for readers; staff and specialists are refused the worklist', async () => {
    for (const [user, expected] of Object.entries(MATRIX) as [UserKey, (typeof MATRIX)[UserKey]][]) {
      const role = world.users[user].role;
      for (const hospital of ['A', 'B'] as const) {
        const item = hospital === 'A' ? world.cases.a.item : world.cases.b.item;
        const r = await api.get(`/api/worklist/${item.id}`, { token: tokens[user] });
        const want = role === 'HOSPITAL_STAFF' || role === 'SPECIALIST' ? 403 : expected[hospital] ? 200 : 404;
        expect(r.status, `${user} → worklist item of ${hospital}`).toBe(want);
      }
    }
  });

  it('a foreign hospital is 404 for staff, and visible to the admin', async () => {
    expect((await api.get(`/api/hospitals/${world.hospitalB.id}`, { token: tokens.staffA })).status).toBe(404);
    expect((await api.get(`/api/hospitals/${world.hospitalA.id}`, { token: tokens.staffA })).status).toBe(200);
    expect((await api.get(`/api/hospitals/${world.hospitalB.id}`, { token: tokens.admin })).status).toBe(200);
    const list = await api.get('/api/hospitals', { token: tokens.radA });
    expect(list.body.map((h: { id: string }) => h.id)).toEqual([world.hospitalA.id]);
  });

  it('unknown and malformed ids are 404', async () => {
    expect((await api.get('/api/worklist/00000000-0000-4000-8000-000000000000', { token: tokens.admin })).status).toBe(404);
    expect((await api.get('/api/worklist/not-a-uuid', { token: tokens.admin })).status).toBe(404);
    expect((await api.get('/api/hospitals/not-a-uuid', { token: tokens.admin })).status).toBe(404);
    expect((await api.get('/api/studies/1.2.3.999', { token: tokens.admin })).status).toBe(404);
  });

  it('the same MRN at two hospitals is two patients', async () => {
    expect(world.cases.a.patient.mrn).toBe(world.cases.b.patient.mrn);
    const r = await api.get('/api/studies?patientMrn=1001', { token: tokens.admin });
    expect(new Set(r.body.items.map((s: { patientId: string }) => s.patientId)).size).toBe(2);
  });
});

describe('credentials take effect immediately', () => {
  it('a license that expires mid-session closes access on the next request', async () => {
    const uid = world.cases.a.study.studyInstanceUid;
    const { accessToken } = await api.login('rad.a@test.example');
    expect((await api.get(`/api/studies/${uid}`, { token: accessToken })).status).toBe(200);
    await t.prisma.license.updateMany({ where: { userId: world.users.radA.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    // Edited in the database: announced as the platform's own writes do (scopes are cached briefly).
    // A license reaching its expiry time needs no announcement (see access-cache.test.ts).
    await t.app.get(InvalidationBus).publish('credentials', { userIds: [world.users.radA.id] });
    expect((await api.get(`/api/studies/${uid}`, { token: accessToken })).status).toBe(404);
    await t.prisma.license.updateMany({ where: { userId: world.users.radA.id }, data: { expiresAt: new Date(Date.now() + 86_400_000) } });
    await t.app.get(InvalidationBus).publish('credentials', { userIds: [world.users.radA.id] });
    expect((await api.get(`/api/studies/${uid}`, { token: accessToken })).status).toBe(200);
  });
});

describe('roles are enforced server-side', () => {
  const denied: [UserKey, string, string, unknown?][] = [
    ['radA', 'POST', '/api/hospitals', { name: 'X', jurisdiction: 'TX', timezone: 'UTC' }],
    ['staffA', 'POST', '/api/users', { email: 'x@y.example', password: 'long enough pw', role: 'ADMIN' }],
    ['staffA', 'GET', '/api/audit'],
    ['radAB', 'GET', '/api/audit'],
    ['specialist', 'GET', '/api/worklist'],
    ['staffA', 'GET', '/api/worklist'],
    ['radA', 'GET', '/api/users'],
  ];
  for (const [user, method, path, body] of denied) {
    it(`${user} → ${method} ${path} is 403`, async () => {
      const r = await api.call(method, path, { token: tokens[user], body });
      expect(r.status).toBe(403);
      expect(r.body.message).toMatch(/requires role/);
    });
  }

  it('a hospital API key cannot use user routes', async () => {
    const key = await api.post(`/api/hospitals/${world.hospitalA.id}/api-keys`, { name: 'pacs' }, { token: tokens.admin });
    expect(key.status).toBe(201);
    expect(key.body.key).toMatch(/^tr_/);
    const r = await api.get('/api/studies', { apiKey: key.body.key });
    expect(r.status).toBe(403);
    expect((await api.get('/api/studies', { apiKey: key.body.key.slice(0, -2) + 'xx' })).status).toBe(401);
    const stored = await t.prisma.apiKey.findUniqueOrThrow({ where: { id: key.body.id } });
    expect(stored.keyHash).not.toContain(key.body.key); // only a hash at rest
  });
});

describe('administration', () => {
  it('creates a hospital with AE titles, refuses a duplicate AE title with 409', async () => {
    const r = await api.post('/api/hospitals', { name: 'Charlie Clinic', jurisdiction: 'NY', timezone: 'America/New_York', aeTitles: ['CHARLIE'] }, { token: tokens.admin });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: 'Charlie Clinic', aeTitles: ['CHARLIE'], slaStatMinutes: 30 });
    const dup = await api.post('/api/hospitals', { name: 'Delta', jurisdiction: 'NY', timezone: 'America/New_York', aeTitles: ['CHARLIE'] }, { token: tokens.admin });
    expect(dup.status).toBe(409);
    const bad = await api.post('/api/hospitals', { name: 'Echo', jurisdiction: 'NY', timezone: 'Mars/Olympus' }, { token: tokens.admin });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.message)).toContain('timezone');
  });

  it('creates users and a radiologist who can then sign in and see the privileged hospital', async () => {
    const r = await api.post(
      '/api/users',
      {
        email: 'New.Rad@test.example',
        password: 'a long enough password',
        role: 'RADIOLOGIST',
        subspecialties: ['neuro'],
        licenses: [{ jurisdiction: 'CA', expiresAt: '2030-01-01T00:00:00Z' }],
        privileges: [{ hospitalId: world.hospitalB.id, expiresAt: '2030-01-01T00:00:00Z' }],
      },
      { token: tokens.admin },
    );
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ email: 'new.rad@test.example', role: 'RADIOLOGIST', subspecialties: ['NEURO'] });
    expect(r.body.passwordHash).toBeUndefined();
    const session = await api.login('new.rad@test.example', 'a long enough password');
    const studies = await api.get('/api/studies', { token: session.accessToken });
    expect(studies.body.items.map((s: { hospitalId: string }) => s.hospitalId)).toEqual([world.hospitalB.id]);
    const dup = await api.post('/api/users', { email: 'new.rad@test.example', password: 'another long password', role: 'SPECIALIST' }, { token: tokens.admin });
    expect(dup.status).toBe(409);
  });

  it('rejects bad user input with messages naming the field', async () => {
    const staffWithoutHospital = await api.post('/api/users', { email: 's@test.example', password: 'long enough password', role: 'HOSPITAL_STAFF' }, { token: tokens.admin });
    expect(staffWithoutHospital.status).toBe(400);
    expect(JSON.stringify(staffWithoutHospital.body.message)).toContain('hospitalId');
    const badRole = await api.post('/api/users', { email: 's@test.example', password: 'long enough password', role: 'GOD' }, { token: tokens.admin });
    expect(badRole.status).toBe(400);
    expect(JSON.stringify(badRole.body.message)).toContain('role');
    const foreign = await api.post(
      '/api/users',
      { email: 's2@test.example', password: 'long enough password', role: 'HOSPITAL_STAFF', hospitalId: '00000000-0000-4000-8000-000000000000' },
      { token: tokens.admin },
    );
    expect(foreign.status).toBe(404);
  });

  it('registers an archive and reports its status', async () => {
    const r = await api.post(`/api/hospitals/${world.hospitalA.id}/archives`, { name: 'PACS', dicomwebUrl: 'http://127.0.0.1:8042/dicom-web' }, { token: tokens.admin });
    expect(r.status).toBe(201);
    const status = await api.get(`/api/archives/${r.body.id}`, { token: tokens.admin });
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ id: r.body.id, status: 'PENDING', studiesSeen: 0, lastError: null, lastSyncAt: null });
    const bad = await api.post(`/api/hospitals/${world.hospitalA.id}/archives`, { name: 'PACS', dicomwebUrl: 'ftp://x' }, { token: tokens.admin });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.message)).toContain('dicomwebUrl');
  });
});
