import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, createTestDatabase, startApp, type TestApp } from './harness.js';
import { seedWorld, type World } from './fixtures.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestApp;
let world: World;
let api: ReturnType<typeof client>;
const readers: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  t = await startApp(db.url);
  world = await seedWorld(t.prisma);
  api = client(t.baseUrl);
  // 50 neuroradiologists licensed in TX and privileged at hospital A, all after the same STAT case.
  const { passwordHash, networkId } = world.users.radA;
  const year = new Date(Date.now() + 365 * 86_400_000);
  for (let i = 0; i < 50; i++) {
    await t.prisma.user.create({
      data: {
        email: `reader${i}@test.example`,
        displayName: `Reader ${i}`,
        passwordHash,
        role: 'RADIOLOGIST',
        networkId,
        subspecialties: ['NEURO'],
        licenses: { create: [{ jurisdiction: 'TX', expiresAt: year }] },
        privileges: { create: [{ hospitalId: world.hospitalA.id, expiresAt: year }] },
      },
    });
  }
  for (let i = 0; i < 50; i++) readers.push((await api.login(`reader${i}@test.example`)).accessToken);
});
afterAll(async () => {
  await t?.close();
  await db?.drop();
});

describe('claiming a case', () => {
  it('50 concurrent claims of one case: exactly one 200, 49 × 409', async () => {
    const item = world.cases.a.item;
    const results = await Promise.all(readers.map((token) => api.post(`/api/worklist/${item.id}/claim`, undefined, { token })));
    const winners = results.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(49);
    const row = await t.prisma.worklistItem.findUniqueOrThrow({ where: { id: item.id } });
    expect(row.state).toBe('CLAIMED');
    expect(winners[0].body).toMatchObject({ state: 'CLAIMED', claimedBy: row.claimedById });
    expect(row.leaseExpiresAt!.getTime()).toBeGreaterThan(Date.now());
    expect(row.version).toBe(item.version + 1);
  });

  it('the claimant may claim again (a double click), others may not; release returns the case', async () => {
    const item = world.cases.a.item;
    const holder = (await t.prisma.worklistItem.findUniqueOrThrow({ where: { id: item.id } })).claimedById!;
    const holderIndex = (await t.prisma.user.findUniqueOrThrow({ where: { id: holder } })).email.match(/reader(\d+)/)![1];
    const mine = readers[Number(holderIndex)];
    const other = readers[(Number(holderIndex) + 1) % readers.length];
    expect((await api.post(`/api/worklist/${item.id}/claim`, undefined, { token: mine })).status).toBe(200);
    const stolen = await api.post(`/api/worklist/${item.id}/release`, undefined, { token: other });
    expect(stolen.status).toBe(409);
    expect(stolen.body.message).toMatch(/Only the radiologist reading/);
    const released = await api.post(`/api/worklist/${item.id}/release`, undefined, { token: mine });
    expect(released.status).toBe(200);
    expect(released.body.state).toBe('UNREAD');
    expect((await api.post(`/api/worklist/${item.id}/claim`, undefined, { token: other })).status).toBe(200);
  });

  it('a lapsed claim can be taken over', async () => {
    const item = world.cases.a.item;
    await t.prisma.worklistItem.update({ where: { id: item.id }, data: { leaseExpiresAt: new Date(Date.now() - 1000) } });
    const taker = readers[readers.length - 1];
    const r = await api.post(`/api/worklist/${item.id}/claim`, undefined, { token: taker });
    expect(r.status).toBe(200);
  });

  it('ineligible and foreign readers cannot claim; staff are refused; unknown ids are 404', async () => {
    const b = world.cases.b.item; // hospital B: readers are not privileged there
    expect((await api.post(`/api/worklist/${b.id}/claim`, undefined, { token: readers[0] })).status).toBe(404);
    // A chest case at hospital A is not for neuroradiologists.
    const chest = await t.prisma.worklistItem.update({ where: { id: world.cases.a.item.id }, data: { subspecialty: 'CHEST', state: 'UNREAD', claimedById: null } });
    const refused = await api.post(`/api/worklist/${chest.id}/claim`, undefined, { token: readers[1] });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/chest/);
    const staff = (await api.login('staff.a@test.example')).accessToken;
    expect((await api.post(`/api/worklist/${chest.id}/claim`, undefined, { token: staff })).status).toBe(403);
    expect((await api.post('/api/worklist/00000000-0000-4000-8000-000000000000/claim', undefined, { token: readers[1] })).status).toBe(404);
  });
});
