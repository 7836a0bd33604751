import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidationBus } from '../src/cache/invalidation-bus.js';
import { jobId } from '../src/jobs/jobs.js';
import { QueueService } from '../src/jobs/queue.service.js';
import { addCase, addReader, enqueueAutoAssign, putOnShift, waitFor } from './assignment-fixtures.js';
import { seedWorld, type World } from './fixtures.js';
import { client, createTestDatabase, startApp, type TestApp } from './harness.js';

/**
 * Who may take which case, by every route that hands out work: the list, a direct claim,
 * Next case and auto-assignment. License (for the hospital's jurisdiction) and privilege (at
 * the hospital) must both be unexpired, the subspecialty theirs or the case general; a shift
 * is needed only to be auto-assigned (readers may pick up work off shift).
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestApp;
let world: World;
let api: ReturnType<typeof client>;
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};
let cases: { neuroA: string; generalA: string; neuroB: string };

const row = (id: string) => t.prisma.worklistItem.findUniqueOrThrow({ where: { id } });
/** Credentials edited in the database here: announce it as the platform's own writes do (accounts and scopes are cached briefly). */
const credentialsChanged = (...userIds: string[]) => t.app.get(InvalidationBus).publish('credentials', { userIds });

beforeAll(async () => {
  db = await createTestDatabase();
  t = await startApp(db.url, { AUTO_ASSIGN_RETRY_SECONDS: '1' });
  world = await seedWorld(t.prisma);
  api = client(t.baseUrl);
  // The fixture's own cases are read already: only this file's cases are open.
  await t.prisma.worklistItem.updateMany({ data: { state: 'FINAL' } });
  const A = world.hospitalA.id;
  const chest = await addReader(t.prisma, world, 'chest', { subspecialties: ['CHEST'], licenses: { TX: 30 }, privileges: { [A]: 30 } });
  const offShift = await addReader(t.prisma, world, 'offshift', { subspecialties: ['NEURO'], licenses: { TX: 30 }, privileges: { [A]: 30 }, shift: 'off' });
  const people = { ...world.users, chest, offShift };
  for (const name of ['radA', 'radAB', 'radExpiredLicense', 'radExpiredPrivilege', 'radWrongState', 'chest', 'offShift', 'admin'] as const) {
    ids[name] = people[name].id;
    tokens[name] = (await api.login(people[name].email)).accessToken;
  }
  for (const name of ['radA', 'radAB', 'radExpiredLicense', 'radExpiredPrivilege', 'radWrongState', 'chest'] as const) await putOnShift(t.prisma, ids[name]);
  cases = {
    neuroA: (await addCase(t.prisma, A, { priority: 'STAT', subspecialty: 'NEURO' })).id,
    generalA: (await addCase(t.prisma, A, { priority: 'ROUTINE', subspecialty: 'GENERAL' })).id,
    neuroB: (await addCase(t.prisma, world.hospitalB.id, { priority: 'STAT', subspecialty: 'NEURO' })).id,
  };
});
afterAll(async () => {
  await t?.close();
  await db?.drop();
});

type Case = keyof typeof cases;
interface Expectation {
  sees: Case[];
  claim: Record<Case, number>;
  next: Case | null;
}

const MATRIX: Record<string, Expectation> = {
  radA: { sees: ['neuroA', 'generalA'], claim: { neuroA: 200, generalA: 200, neuroB: 404 }, next: 'neuroA' },
  radAB: { sees: ['neuroA', 'neuroB', 'generalA'], claim: { neuroA: 200, generalA: 200, neuroB: 200 }, next: 'neuroA' },
  radExpiredLicense: { sees: [], claim: { neuroA: 404, generalA: 404, neuroB: 404 }, next: null },
  radExpiredPrivilege: { sees: [], claim: { neuroA: 404, generalA: 404, neuroB: 404 }, next: null },
  radWrongState: { sees: [], claim: { neuroA: 404, generalA: 404, neuroB: 404 }, next: null },
  chest: { sees: ['generalA'], claim: { neuroA: 403, generalA: 200, neuroB: 404 }, next: 'generalA' },
  offShift: { sees: ['neuroA', 'generalA'], claim: { neuroA: 200, generalA: 200, neuroB: 404 }, next: 'neuroA' },
};

const caseName = (id: string) => (Object.keys(cases) as Case[]).find((k) => cases[k] === id) ?? id;

async function release(reader: string, id: string) {
  expect((await api.post(`/api/worklist/${id}/release`, undefined, { token: tokens[reader] })).status).toBe(200);
}

describe('eligibility matrix: list, claim, next', () => {
  for (const [reader, want] of Object.entries(MATRIX)) {
    it(`${reader}: sees ${want.sees.join(', ') || 'nothing'}; next → ${want.next ?? '204'}`, async () => {
      const list = await api.get('/api/worklist', { token: tokens[reader] });
      expect(list.status).toBe(200);
      expect(list.body.items.map((i: { id: string }) => caseName(i.id))).toEqual(want.sees);

      for (const c of Object.keys(cases) as Case[]) {
        const r = await api.post(`/api/worklist/${cases[c]}/claim`, undefined, { token: tokens[reader] });
        expect(r.status, `${reader} claims ${c}`).toBe(want.claim[c]);
        if (r.status === 200) await release(reader, cases[c]);
      }

      const next = await api.post('/api/worklist/next', undefined, { token: tokens[reader] });
      if (want.next) {
        expect(next.status).toBe(200);
        expect(caseName(next.body.id)).toBe(want.next);
        await release(reader, next.body.id);
      } else {
        expect(next.status).toBe(204);
      }
    });
  }
});

describe('eligibility for auto-assignment', () => {
  const assign = async (id: string) => {
    await enqueueAutoAssign(t.app.get(QueueService), id);
    return waitFor('the assignment', async () => (await row(id)).claimedById);
  };

  it('only eligible readers on shift are auto-assigned; general cases go to any of them', async () => {
    await t.prisma.hospital.update({ where: { id: world.hospitalA.id }, data: { autoAssign: true } });
    const neuro = await Promise.all(Array.from({ length: 4 }, () => addCase(t.prisma, world.hospitalA.id, { subspecialty: 'NEURO' })));
    const got: string[] = [];
    for (const c of neuro) got.push(await assign(c.id));
    // Off shift, expired license or privilege, wrong state or subspecialty: never; the two eligible share the load.
    expect(got.filter((u) => u === ids.radA)).toHaveLength(2);
    expect(got.filter((u) => u === ids.radAB)).toHaveLength(2);
    // General work goes to anyone eligible: here the chest reader, who holds nothing yet.
    const general = await addCase(t.prisma, world.hospitalA.id, { subspecialty: 'GENERAL' });
    expect(await assign(general.id)).toBe(ids.chest);
  });

  it('credentials that expire take effect at once, for every way of taking work', async () => {
    const A = world.hospitalA.id;
    const held = await addCase(t.prisma, A, { subspecialty: 'NEURO' });
    const open = await addCase(t.prisma, A, { priority: 'STAT', subspecialty: 'NEURO' });
    await t.prisma.hospital.update({ where: { id: A }, data: { autoAssign: false } });
    expect((await api.post(`/api/worklist/${held.id}/claim`, undefined, { token: tokens.radA })).status).toBe(200);

    // The same access token as before: nothing outlives the change.
    const past = new Date(Date.now() - 1000);
    await t.prisma.license.updateMany({ where: { userId: ids.radA, jurisdiction: 'TX' }, data: { expiresAt: past } });
    await credentialsChanged(ids.radA);
    expect((await api.get('/api/worklist', { token: tokens.radA })).body.items).toEqual([]);
    expect((await api.post(`/api/worklist/${open.id}/claim`, undefined, { token: tokens.radA })).status).toBe(404);
    expect((await api.post('/api/worklist/next', undefined, { token: tokens.radA })).status).toBe(204);
    expect((await api.post(`/api/worklist/${held.id}/heartbeat`, undefined, { token: tokens.radA })).status).toBe(404);
    const reassign = await api.post(`/api/worklist/${open.id}/reassign`, { userId: ids.radA }, { token: tokens.admin });
    expect(reassign.status).toBe(422);
    expect(reassign.body.message).toMatch(/TX license expired/);

    // radAB loses the privilege at A: nobody eligible is left for a new NEURO case, which waits.
    await t.prisma.privilege.updateMany({ where: { userId: ids.radAB, hospitalId: A }, data: { expiresAt: past } });
    await credentialsChanged(ids.radAB);
    await t.prisma.hospital.update({ where: { id: A }, data: { autoAssign: true } });
    await enqueueAutoAssign(t.app.get(QueueService), open.id);
    const queue = t.app.get(QueueService).queue('auto-assign');
    await waitFor('the job to wait for a reader', async () => (await (await queue.getJob(jobId('assign', open.id, 0)))?.getState()) === 'delayed');
    expect((await row(open.id)).state).toBe('UNREAD');

    // A renewed license counts from the next attempt on.
    await t.prisma.license.updateMany({ where: { userId: ids.radA, jurisdiction: 'TX' }, data: { expiresAt: new Date(Date.now() + 86_400_000) } });
    await credentialsChanged(ids.radA);
    await waitFor('the retried assignment', async () => (await row(open.id)).claimedById === ids.radA);
    expect((await api.post(`/api/worklist/${open.id}/heartbeat`, undefined, { token: tokens.radA })).status).toBe(200);
  });
});
