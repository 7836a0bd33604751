import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_HOSPITALS, DEMO_USERS } from '../src/seed/demo-network.js';
import { seedDemo } from '../src/seed/demo-seed.js';
import { FileImageStore } from '../src/storage/file-image-store.js';
import { client, createTestDatabase, startApp, type TestApp } from './harness.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestApp;
let storageDir: string;
let store: FileImageStore;

beforeAll(async () => {
  db = await createTestDatabase();
  storageDir = await fs.mkdtemp(path.join(os.tmpdir(), 'teleread-seed-'));
  t = await startApp(db.url, { STORAGE_DIR: storageDir });
  store = new FileImageStore(storageDir);
  await seedDemo(t.prisma, store, { studies: 15 });
}, 120_000);
afterAll(async () => {
  await t?.close();
  await db?.drop();
  await fs.rm(storageDir, { recursive: true, force: true });
});

describe('demo seed', () => {
  it('creates the network: hospitals in three jurisdictions, every demo user, studies with open cases', async () => {
    expect(await t.prisma.hospital.count()).toBe(DEMO_HOSPITALS.length);
    expect(new Set((await t.prisma.hospital.findMany()).map((h) => h.jurisdiction)).size).toBe(3);
    expect(await t.prisma.user.count()).toBe(DEMO_USERS.length);
    expect(await t.prisma.study.count()).toBe(15);
    expect(await t.prisma.worklistItem.count({ where: { state: 'UNREAD' } })).toBe(15);
    const priorities = new Set((await t.prisma.worklistItem.findMany()).map((w) => w.priority));
    expect(priorities).toEqual(new Set(['STAT', 'URGENT', 'ROUTINE']));
  });

  it('stores real DICOM files whose checksums match the index and that dcmtk reads', async () => {
    const instances = await t.prisma.instance.findMany({ take: 5, include: { study: true } });
    for (const i of instances) {
      const bytes = await buffer(store.read(i.storageKey));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(i.sha256);
      expect(BigInt(bytes.length)).toBe(i.sizeBytes);
    }
    const file = path.join(storageDir, instances[0].storageKey);
    const dump = execFileSync('dcmdump', ['+P', '0020,000d', '+P', '0010,0020', file], { encoding: 'utf8' });
    expect(dump).toContain(instances[0].study.studyInstanceUid);
  });

  it('does nothing the second time', async () => {
    expect(await seedDemo(t.prisma, store, { studies: 15 })).toEqual({ created: false });
    expect(await t.prisma.study.count()).toBe(15);
  });

  it("each demo radiologist's worklist holds only hospitals they may read for", async () => {
    const api = client(t.baseUrl);
    const byKey = new Map((await t.prisma.hospital.findMany()).map((h) => [h.id, DEMO_HOSPITALS.find((d) => d.name === h.name)!.key]));
    for (const u of DEMO_USERS.filter((d) => d.role === 'RADIOLOGIST')) {
      const { accessToken } = await api.login(u.email, 'teleread-demo-2026');
      const list = await api.get('/api/worklist?limit=500', { token: accessToken });
      expect(list.status).toBe(200);
      expect(list.body.total).toBeGreaterThan(0);
      for (const item of list.body.items) {
        expect(u.privileges).toContain(byKey.get(item.hospitalId));
        expect([...u.subspecialties!, 'GENERAL']).toContain(item.subspecialty);
      }
    }
  });
});
