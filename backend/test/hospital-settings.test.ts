import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueService } from '../src/jobs/queue.service.js';
import { WorklistIntakeService } from '../src/worklist/worklist-intake.service.js';
import { addCase, addReader, putOnShift, waitFor } from './assignment-fixtures.js';
import { createStudy, seedWorld, type World } from './fixtures.js';
import { client, createTestDatabase, startApp, type TestApp } from './harness.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
/** Auto-assignment retries every second, so a reader put on shift is found quickly. */
let t: TestApp;
let world: World;
let api: ReturnType<typeof client>;
let admin: string;

const patch = (id: string, body: unknown, token = admin) => api.call('PATCH', `/api/hospitals/${id}`, { token, body });
const message = (r: { body: { message: unknown } }) => JSON.stringify(r.body.message);
/** Through the API, so the admin's scope learns of it as in production. */
let hospitalNo = 0;
const newHospital = async (jurisdiction: string) => {
  const r = await api.post('/api/hospitals', { name: `Night Clinic ${++hospitalNo}`, jurisdiction, timezone: 'America/Denver' }, { token: admin });
  expect(r.status).toBe(201);
  return r.body as { id: string };
};
const assignedNotices = (itemId: string) => t.prisma.notification.count({ where: { worklistItemId: itemId, kind: 'ASSIGNED' } });

beforeAll(async () => {
  db = await createTestDatabase();
  t = await startApp(db.url, { AUTO_ASSIGN_RETRY_SECONDS: '1' });
  world = await seedWorld(t.prisma);
  api = client(t.baseUrl);
  admin = (await api.login('admin@test.example')).accessToken;
});
afterAll(async () => {
  await t?.close();
  await db?.drop();
});

describe('PATCH /api/hospitals/:id', () => {
  it('changes the settings, returns them, and GET returns them too', async () => {
    const r = await patch(world.hospitalB.id, {
      name: 'Bravo Medical Center',
      timezone: 'America/Denver',
      slaStatMinutes: 20,
      slaUrgentMinutes: 90,
      slaRoutineMinutes: 600,
      defaultPriority: 'URGENT',
      requireNextCase: true,
      autoAssignSubspecialties: ['chest', 'NEURO', 'CHEST'],
    });
    expect(r.status).toBe(200);
    const settings = {
      id: world.hospitalB.id,
      name: 'Bravo Medical Center',
      jurisdiction: 'CA',
      timezone: 'America/Denver',
      slaStatMinutes: 20,
      slaUrgentMinutes: 90,
      slaRoutineMinutes: 600,
      defaultPriority: 'URGENT',
      requireNextCase: true,
      autoAssign: false,
      autoAssignSubspecialties: ['CHEST', 'NEURO'],
      aeTitles: [],
    };
    expect(r.body).toMatchObject(settings);
    const got = await api.get(`/api/hospitals/${world.hospitalB.id}`, { token: admin });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject(settings);
  });

  it('answers 400 naming the field for bad values, unknown fields and an empty body', async () => {
    const id = world.hospitalA.id;
    const cases: [unknown, string][] = [
      [{ slaStatMinutes: 0 }, 'slaStatMinutes'],
      [{ slaUrgentMinutes: 'soon' }, 'slaUrgentMinutes'],
      [{ defaultPriority: 'LOW' }, 'defaultPriority'],
      [{ autoAssign: 'yes' }, 'autoAssign'],
      [{ autoAssignSubspecialties: ['NEURO', 'PODIATRY'] }, 'autoAssignSubspecialties'],
      [{ timezone: 'Mars/Olympus' }, 'timezone'],
      [{ aeTitles: ['BAD\\TITLE'] }, 'aeTitles'],
      [{ jurisdiction: 'NY' }, 'jurisdiction'],
      [{}, 'at least one field'],
    ];
    for (const [body, field] of cases) {
      const r = await patch(id, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(message(r), JSON.stringify(body)).toContain(field);
    }
    const unchanged = await t.prisma.hospital.findUniqueOrThrow({ where: { id } });
    expect(unchanged).toMatchObject({ slaStatMinutes: 30, timezone: 'America/Chicago', autoAssign: false });
  });

  it('is 404 for an unknown, malformed or other network\'s hospital, 403 for anyone but an admin', async () => {
    const other = await t.prisma.network.create({ data: { name: 'Other network' } });
    const foreign = await t.prisma.hospital.create({ data: { networkId: other.id, name: 'Elsewhere', jurisdiction: 'TX', timezone: 'America/Chicago' } });
    for (const id of [foreign.id, '5f1c0c7e-0000-4000-8000-000000000000', 'not-a-uuid']) {
      expect((await patch(id, { slaStatMinutes: 5 })).status, id).toBe(404);
    }
    expect((await t.prisma.hospital.findUniqueOrThrow({ where: { id: foreign.id } })).slaStatMinutes).toBe(30);
    for (const email of ['staff.a@test.example', 'rad.a@test.example', 'specialist@test.example']) {
      const token = (await api.login(email)).accessToken;
      expect((await patch(world.hospitalA.id, { slaStatMinutes: 5 }, token)).status, email).toBe(403);
    }
  });

  it('replaces the AE titles; a title another hospital holds is 409 naming it, and nothing changes', async () => {
    const a = world.hospitalA.id;
    const b = world.hospitalB.id;
    const added = await patch(a, { aeTitles: ['ALPHA', 'ALPHA_CT', 'ALPHA_CT'] });
    expect(added.status).toBe(200);
    expect(added.body.aeTitles).toEqual(['ALPHA', 'ALPHA_CT']);

    const taken = await patch(b, { aeTitles: ['BRAVO', 'ALPHA_CT'], slaStatMinutes: 11 });
    expect(taken.status).toBe(409);
    expect(taken.body.message).toBe('AE title ALPHA_CT already belongs to another hospital');
    const bravo = await api.get(`/api/hospitals/${b}`, { token: admin });
    expect(bravo.body).toMatchObject({ aeTitles: [], slaStatMinutes: 20 });

    // Dropping a title frees it for another hospital.
    expect((await patch(a, { aeTitles: ['ALPHA'] })).body.aeTitles).toEqual(['ALPHA']);
    expect((await patch(b, { aeTitles: ['BRAVO', 'ALPHA_CT'] })).body.aeTitles).toEqual(['ALPHA_CT', 'BRAVO']);
    expect((await patch(b, { aeTitles: [] })).body.aeTitles).toEqual([]);
  });

  it('writes an audit event naming what changed', async () => {
    const r = await patch(world.hospitalA.id, { slaStatMinutes: 25, requireNextCase: true });
    expect(r.status).toBe(200);
    const event = await t.prisma.auditEvent.findFirstOrThrow({ where: { action: 'hospital.update', objectId: world.hospitalA.id }, orderBy: { at: 'desc' } });
    expect(event).toMatchObject({ actorId: world.users.admin.id, actorRole: 'ADMIN', objectType: 'Hospital', hospitalId: world.hospitalA.id, outcome: 'SUCCESS' });
    expect(event.detail).toMatchObject({ changed: { slaStatMinutes: { from: 30, to: 25 }, requireNextCase: { from: false, to: true } }, offered: 0 });
  });
});

describe('SLA targets', () => {
  it('apply to the next case through intake; open cases keep their due time', async () => {
    const h = await newHospital('TX');
    const open = await addCase(t.prisma, h.id, { priority: 'STAT' });
    const r = await patch(h.id, { slaStatMinutes: 7, defaultPriority: 'STAT' });
    expect(r.status).toBe(200);

    const { study } = await createStudy(t.prisma, h.id, { receivedAt: new Date(Date.now() - 60_000) });
    await t.app.get(WorklistIntakeService).ensureItem(study.id);
    const item = await t.prisma.worklistItem.findUniqueOrThrow({ where: { studyId: study.id } });
    expect(item.priority).toBe('STAT');
    expect(item.dueAt.getTime() - item.receivedAt.getTime()).toBe(7 * 60_000);
    expect((await t.prisma.worklistItem.findUniqueOrThrow({ where: { id: open.id } })).dueAt).toEqual(open.dueAt);
  });
});

describe('turning auto-assignment on', () => {
  it('offers the waiting cases it covers to an eligible reader on shift, once, however often it is sent', async () => {
    const h = await newHospital('UT');
    const reader = await addReader(t.prisma, world, 'nightowl', { subspecialties: ['NEURO', 'CHEST'], licenses: { UT: 30 }, privileges: { [h.id]: 30 }, shift: 'on' });
    const neuro = [await addCase(t.prisma, h.id, { subspecialty: 'NEURO' }), await addCase(t.prisma, h.id, { subspecialty: 'NEURO', priority: 'STAT' })];
    const chest = await addCase(t.prisma, h.id, { subspecialty: 'CHEST' });
    const row = (id: string) => t.prisma.worklistItem.findUniqueOrThrow({ where: { id } });

    const on = await patch(h.id, { autoAssign: true, autoAssignSubspecialties: ['NEURO'] });
    expect(on.status).toBe(200);
    for (const c of neuro) {
      const assigned = await waitFor('the neuro case to be assigned', async () => {
        const r = await row(c.id);
        return r.state === 'CLAIMED' ? r : null;
      });
      expect(assigned).toMatchObject({ claimedById: reader.id, claimSource: 'AUTO', version: c.version + 1 });
    }
    // Sent again, and off and on: the cases are taken, nothing more is offered.
    for (const body of [{ autoAssign: true, autoAssignSubspecialties: ['NEURO'] }, { autoAssign: false }, { autoAssign: true }]) {
      expect((await patch(h.id, body)).status).toBe(200);
    }
    expect((await row(chest.id)).state).toBe('UNREAD');
    // Widened to every subspecialty: the chest case now qualifies.
    expect((await patch(h.id, { autoAssignSubspecialties: [] })).status).toBe(200);
    await waitFor('the chest case to be assigned', async () => (await row(chest.id)).state === 'CLAIMED');
    const audits = await t.prisma.auditEvent.findMany({ where: { action: 'hospital.update', objectId: h.id }, orderBy: { at: 'asc' } });
    expect(audits.map((a) => (a.detail as { offered: number }).offered)).toEqual([2, 0, 0, 0, 1]);
    for (const c of [...neuro, chest]) {
      await waitFor('the assignment notice', async () => (await assignedNotices(c.id)) > 0);
      expect(await assignedNotices(c.id)).toBe(1);
      expect((await row(c.id)).version).toBe(c.version + 1);
    }
  });

  it('with nobody on shift the offer waits; the switch sent twice at once queues one job; a reader coming on shift gets the case once', async () => {
    const h = await newHospital('NV');
    const reader = await addReader(t.prisma, world, 'lateshift', { subspecialties: ['NEURO'], licenses: { NV: 30 }, privileges: { [h.id]: 30 } });
    const c = await addCase(t.prisma, h.id, { subspecialty: 'NEURO' });
    const queue = t.app.get(QueueService).queue('auto-assign');
    const jobsFor = async () => (await queue.getJobs(['waiting', 'delayed', 'active', 'prioritized'])).filter((j) => j.data.itemId === c.id);

    const both = await Promise.all([patch(h.id, { autoAssign: true }), patch(h.id, { autoAssign: true })]);
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    // Narrowed and widened back: NEURO was covered all along, nothing new to offer.
    for (const body of [{ autoAssignSubspecialties: ['NEURO'] }, { autoAssignSubspecialties: [] }]) {
      expect((await patch(h.id, body)).status).toBe(200);
    }
    expect(await jobsFor()).toHaveLength(1);
    expect((await t.prisma.worklistItem.findUniqueOrThrow({ where: { id: c.id } })).state).toBe('UNREAD');

    await putOnShift(t.prisma, reader.id);
    const assigned = await waitFor('the retry to find the reader', async () => {
      const r = await t.prisma.worklistItem.findUniqueOrThrow({ where: { id: c.id } });
      return r.state === 'CLAIMED' ? r : null;
    });
    expect(assigned).toMatchObject({ claimedById: reader.id, version: c.version + 1 });
    // The notice is sent after the assignment commits.
    await waitFor('the assignment notice', async () => (await assignedNotices(c.id)) > 0);
    expect(await assignedNotices(c.id)).toBe(1);
  });
});
