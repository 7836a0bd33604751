import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditedPatients, client, createTestDatabase, startApp, type TestApp } from './harness.js';
import { seedWorld, type World } from './fixtures.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestApp;
let world: World;
let api: ReturnType<typeof client>;
let admin: string;
let radAB: string;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await startApp(db.url);
  world = await seedWorld(t.prisma);
  api = client(t.baseUrl);
  admin = (await api.login('admin@test.example')).accessToken;
  radAB = (await api.login('rad.ab@test.example')).accessToken;
});
afterAll(async () => {
  await t?.close();
  await db?.drop();
});

const eventsFor = (requestId: string) => t.prisma.auditEvent.findMany({ where: { requestId }, orderBy: { id: 'asc' } });

describe('every patient-data read is audited', () => {
  const reads = () => [
    ['study read', `/api/studies/${world.cases.a.study.studyInstanceUid}`, 'study.read', [world.cases.a.patient.id]],
    ['study search', '/api/studies', 'study.search', [world.cases.a.patient.id, world.cases.b.patient.id]],
    ['worklist', '/api/worklist', 'worklist.read', [world.cases.a.patient.id, world.cases.b.patient.id]],
    ['worklist item', `/api/worklist/${world.cases.b.item.id}`, 'worklist.item.read', [world.cases.b.patient.id]],
  ] as const;

  for (const i of [0, 1, 2, 3]) {
    it(`writes who, role, action, patient, time, address and request id: ${['study read', 'study search', 'worklist', 'worklist item'][i]}`, async () => {
      const [, path, action, patients] = reads()[i];
      const before = new Date();
      const r = await api.get(path, { token: radAB, headers: { 'x-request-id': `req-${action}-${i}` } });
      expect(r.status).toBe(200);
      expect(r.headers.get('x-request-id')).toBe(`req-${action}-${i}`);
      const events = await eventsFor(`req-${action}-${i}`);
      // One event per access, naming every patient it showed.
      expect(events).toHaveLength(1);
      expect(await auditedPatients(t.prisma, events[0])).toEqual([...patients].sort());
      for (const e of events) {
        expect(e).toMatchObject({ action, actorKind: 'USER', actorId: world.users.radAB.id, actorRole: 'RADIOLOGIST', outcome: 'SUCCESS', sourceIp: '127.0.0.1' });
        expect(e.at.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1000);
      }
    });
  }

  it('records a failed attempt on a study outside the scope', async () => {
    const staff = (await api.login('staff.a@test.example')).accessToken;
    const r = await api.get(`/api/studies/${world.cases.b.study.studyInstanceUid}`, { token: staff, headers: { 'x-request-id': 'req-foreign' } });
    expect(r.status).toBe(404);
    const [event] = await eventsFor('req-foreign');
    expect(event).toMatchObject({ action: 'study.read', outcome: 'FAILURE', actorId: world.users.staffA.id, objectId: world.cases.b.study.studyInstanceUid });
  });
});

describe('the audit log is append-only', () => {
  it('refuses UPDATE, DELETE and TRUNCATE at the database', async () => {
    const [first] = await t.prisma.auditEvent.findMany({ take: 1 });
    await expect(t.prisma.auditEvent.update({ where: { id: first.id }, data: { action: 'tampered' } })).rejects.toThrow(/append-only/);
    await expect(t.prisma.auditEvent.delete({ where: { id: first.id } })).rejects.toThrow(/append-only/);
    await expect(t.prisma.$executeRawUnsafe('TRUNCATE "AuditEvent"')).rejects.toThrow(/append-only/);
    expect((await t.prisma.auditEvent.findUniqueOrThrow({ where: { id: first.id } })).action).toBe(first.action);
  });

  it('refuses them on patient sets too', async () => {
    expect((await api.get('/api/worklist', { token: radAB })).status).toBe(200);
    const [set] = await t.prisma.auditPatientSet.findMany({ take: 1 });
    expect(set.patientIds.length).toBeGreaterThan(0);
    await expect(t.prisma.auditPatientSet.update({ where: { digest: set.digest }, data: { patientIds: [] } })).rejects.toThrow(/append-only/);
    await expect(t.prisma.$executeRawUnsafe('DELETE FROM "AuditPatientSet"')).rejects.toThrow(/append-only/);
    await expect(t.prisma.$executeRawUnsafe('TRUNCATE "AuditPatientSet" CASCADE')).rejects.toThrow(/append-only/);
    expect((await t.prisma.auditPatientSet.findUniqueOrThrow({ where: { digest: set.digest } })).patientIds).toEqual(set.patientIds);
  });
});

describe('a page read by many names its patients once', () => {
  it('every read of a cached worklist page has its own event; the patients are stored once, by content', async () => {
    const requestIds = Array.from({ length: 5 }, (_, i) => `req-shared-${Date.now()}-${i}`);
    const setsBefore = await t.prisma.auditPatientSet.count();
    for (const id of requestIds) expect((await api.get('/api/worklist', { token: radAB, headers: { 'x-request-id': id } })).status).toBe(200);
    const events = await t.prisma.auditEvent.findMany({ where: { requestId: { in: requestIds } } });
    expect(events).toHaveLength(5);
    expect(new Set(events.map((e) => e.patientSetDigest)).size).toBe(1);
    for (const e of events) expect(await auditedPatients(t.prisma, e)).toEqual([world.cases.a.patient.id, world.cases.b.patient.id].sort());
    // Five reads added at most the one set (none if an earlier read of this page stored it).
    expect((await t.prisma.auditPatientSet.count()) - setsBefore).toBeLessThanOrEqual(1);
  });
});

describe('GET /api/audit', () => {
  it('filters by patient and action, newest first, for admins', async () => {
    const r = await api.get(`/api/audit?patientId=${world.cases.a.patient.id}&action=study.read`, { token: admin });
    expect(r.status).toBe(200);
    expect(r.body.total).toBeGreaterThanOrEqual(1);
    for (const e of r.body.items) expect(e).toMatchObject({ patientIds: [world.cases.a.patient.id], action: 'study.read' });
    const ids = r.body.items.map((e: { id: string }) => BigInt(e.id));
    expect([...ids].sort((a, b) => (a < b ? 1 : -1))).toEqual(ids);
  });

  it('finds a list read by any patient on it; its FHIR form names each patient', async () => {
    const requestId = `req-list-${Date.now()}`;
    expect((await api.get('/api/worklist', { token: radAB, headers: { 'x-request-id': requestId } })).status).toBe(200);
    const [a, b] = [world.cases.a.patient.id, world.cases.b.patient.id];
    for (const patient of [a, b]) {
      const r = await api.get(`/api/audit?patientId=${patient}&action=worklist.read`, { token: admin });
      expect(r.status).toBe(200);
      const event = r.body.items.find((e: { requestId: string }) => e.requestId === requestId);
      expect(event?.patientIds).toEqual(expect.arrayContaining([a, b]));
    }
    const fhir = await api.get(`/api/audit/fhir?patientId=${b}&action=worklist.read`, { token: admin });
    const resource = fhir.body.entry.find((e: { resource: { extension?: { valueString: string }[] } }) => e.resource.extension?.[0].valueString === requestId).resource;
    const patients = resource.entity.filter((e: { type: { code: string } }) => e.type.code === '1').map((e: { what: { reference: string } }) => e.what.reference);
    expect(patients.sort()).toEqual([`Patient/${a}`, `Patient/${b}`].sort());
  });

  it('rejects unknown filters and bad dates with 400', async () => {
    expect((await api.get('/api/audit?colour=red', { token: admin })).status).toBe(400);
    const bad = await api.get('/api/audit?from=yesterday', { token: admin });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.message)).toContain('from');
  });

  it('exports FHIR R4 AuditEvent resources', async () => {
    const r = await api.get(`/api/audit/fhir?patientId=${world.cases.b.patient.id}`, { token: admin });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset' });
    const resource = r.body.entry[0].resource;
    expect(resource.resourceType).toBe('AuditEvent');
    expect(resource.entity).toContainEqual(expect.objectContaining({ what: { reference: `Patient/${world.cases.b.patient.id}` } }));
    expect(resource.agent[0]).toMatchObject({ requestor: true, network: { address: '127.0.0.1' } });
    expect(['0', '4', '8']).toContain(resource.outcome);
    expect(Date.parse(resource.recorded)).not.toBeNaN();
  });

  it('audits the audit search itself', async () => {
    await api.get('/api/audit', { token: admin, headers: { 'x-request-id': 'req-audit-search' } });
    const [event] = await eventsFor('req-audit-search');
    expect(event).toMatchObject({ action: 'audit.search', actorId: world.users.admin.id });
  });
});
