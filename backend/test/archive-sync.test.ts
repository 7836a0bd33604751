import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, createTestDatabase, startApp, waitFor, type TestApp } from './harness.js';
import { seedWorld, type World } from './fixtures.js';

/**
 * Pull from (and push by) REAL hospital archives: two Orthancs started with
 * /work/shared/peers/archive.sh, a DICOMweb-only archive (an Orthanc behind a proxy
 * that hides its REST API), an archive that never answers, and one that goes down.
 */
const PEERS = '/work/shared/peers';
const REAL = path.join(PEERS, 'data/real');
const run = promisify(execFile);

const manifest = fs
  .readFileSync(path.join(REAL, 'MANIFEST.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split('\t'))
  .filter((r) => !r[0].startsWith('odd/'));
/** Studies of the valid sample files: distinct SOP instances (variants share SOP UIDs) and modality. */
const realStudies = new Map<string, { sops: Set<string>; modality: string }>();
for (const r of manifest) {
  const s = realStudies.get(r[9]) ?? { sops: new Set<string>(), modality: r[2] };
  s.sops.add(r[8]);
  realStudies.set(r[9], s);
}
const CT_4 = '1.3.6.1.4.1.5962.1.1.0.0.0.1196530851.28319.0.1'; // study_77654033 CT series, 4 instances

interface GenStudy {
  studyInstanceUID: string;
  accessionNumber: string;
  patientID: string;
  patientName: string;
  studyDate: string;
  modality: string;
  studyDescription: string;
  bodyPartExamined: string;
  dir: string;
  series: { seriesInstanceUID: string; instances: number }[];
}
const instancesOf = (s: GenStudy) => s.series.reduce((n, x) => n + x.instances, 0);

let tmp: string;
let stateDir: string;
let base: number;
let archiveEnv: NodeJS.ProcessEnv;
const origin = (i: number) => `http://127.0.0.1:${base + i}`;

async function archiveSh(...args: string[]) {
  return (await run(path.join(PEERS, 'archive.sh'), args, { env: archiveEnv, timeout: 60_000 })).stdout;
}
async function gen(name: string, ...args: string[]): Promise<{ dir: string; studies: GenStudy[] }> {
  const dir = path.join(tmp, name);
  await run(process.execPath, [path.join(PEERS, 'gen-study.mjs'), '--out', dir, '--quiet', ...args]);
  return { dir, studies: JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')).studies };
}
const lastChange = async (i: number) => ((await (await fetch(`${origin(i)}/changes?last`)).json()) as { Last: number }).Last;
const today = () => new Date().toISOString().slice(0, 10).replaceAll('-', '');

async function portsFree(ports: number[]) {
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (!free) return false;
  }
  return true;
}
async function freeBasePort() {
  for (;;) {
    const b = 20_000 + Math.floor(Math.random() * 35_000);
    if (await portsFree([b + 1, b + 2, b + 101, b + 102])) return b;
  }
}

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestApp;
let world: World;
let api: ReturnType<typeof client>;
let admin: string;
let hospitalC: string;
let keyA: string;
let archive1: string;
let archive2: string;
let set2: Awaited<ReturnType<typeof gen>>;
const servers: (http.Server | net.Server)[] = [];
/** Requests the non-Orthanc archive (a proxy in front of archive 2) received. */
const proxied: { url: string; at: number }[] = [];
const sockets: net.Socket[] = [];

const studyRow = (hospitalId: string, studyInstanceUid: string) =>
  t.prisma.study.findUnique({ where: { hospitalId_studyInstanceUid: { hospitalId, studyInstanceUid } }, include: { patient: true, worklistItem: true } });
const holds = async (hospitalId: string, uid: string, n: number) => (await studyRow(hospitalId, uid))?.numInstances === n;
const archiveStatus = async (id: string) => (await api.get(`/api/archives/${id}`, { token: admin })).body;
const filesUnder = (dir: string): number =>
  fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : 1), 0) : 0;

async function registerArchive(hospitalId: string, name: string, dicomwebUrl: string) {
  const r = await api.post(`/api/hospitals/${hospitalId}/archives`, { name, dicomwebUrl }, { token: admin });
  expect(r.status).toBe(201);
  return r.body.id as string;
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'teleread-archsync-'));
  stateDir = path.join(tmp, 'archives');
  db = await createTestDatabase();
  t = await startApp(db.url, { STUDY_STABLE_SECONDS: '1', ARCHIVE_SYNC_SECONDS: '1' });
  world = await seedWorld(t.prisma);
  api = client(t.baseUrl);
  admin = (await api.login('admin@test.example')).accessToken;
  hospitalC = (await api.post('/api/hospitals', { name: 'Charlie Clinic', jurisdiction: 'TX', timezone: 'America/Chicago' }, { token: admin })).body.id;
  const keyC = (await api.post(`/api/hospitals/${hospitalC}/api-keys`, { name: 'orthanc' }, { token: admin })).body.key;
  keyA = (await api.post(`/api/hospitals/${world.hospitalA.id}/api-keys`, { name: 'orthanc' }, { token: admin })).body.key;

  set2 = await gen('set2', '--seed', 'archive-sync-2', '--studies', '5', '--slices', '2', '--rows', '64', '--cols', '64', '--modality', 'MIX');
  base = await freeBasePort();
  archiveEnv = {
    ...process.env,
    ARCHIVE_STATE_DIR: stateDir,
    ARCHIVE_STABLE_AGE: '1',
    ARCHIVE_PLATFORM_DICOMWEB: `${t.baseUrl}/dicomweb/`,
    ARCHIVE_PLATFORM_AUTH: `ApiKey ${keyC}`,
  };
  await archiveSh('up', '2', String(base));
  const realFiles = manifest.map((r) => r[0]).filter((f) => !f.includes('/')).map((f) => path.join(REAL, f));
  await archiveSh('load', '1', ...realFiles, path.join(REAL, 'study_77654033'));
  await archiveSh('load', '2', set2.dir);

  // Hospital B already holds one of the two instances of a study in its archive (sent before by STOW-RS).
  const first = fs.readFileSync(path.join(set2.dir, set2.studies[0].dir, 's01', 'i0001.dcm'));
  const boundary = 'pre-existing-5e1c';
  const body = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), first, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  const staffB = (await api.login('staff.b@test.example')).accessToken;
  const stow = await fetch(`${t.baseUrl}/dicomweb/studies`, {
    method: 'POST',
    headers: { authorization: `Bearer ${staffB}`, 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}` },
    body,
  });
  expect(stow.status).toBe(200);

  archive1 = await registerArchive(world.hospitalA.id, 'Alpha PACS', `${origin(1)}/dicom-web/`);
  archive2 = await registerArchive(world.hospitalB.id, 'Bravo PACS', `${origin(2)}/dicom-web`);
}, 60_000);

afterAll(async () => {
  if (archiveEnv) await archiveSh('down', '--purge').catch(() => undefined);
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
  await t?.close();
  await db?.drop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}, 60_000);

describe('incremental pull from hospital archives', () => {
  it('pulls every study of both archives with its attributes and instance count; complete studies reach the worklist', async () => {
    const A = world.hospitalA.id;
    const B = world.hospitalB.id;
    await waitFor('every study of archive 1 in hospital A', async () => {
      for (const [uid, s] of realStudies) if (!(await holds(A, uid, s.sops.size))) return false;
      return true;
    });
    await waitFor('every study of archive 2 in hospital B', async () => {
      for (const s of set2.studies) if (!(await holds(B, s.studyInstanceUID, instancesOf(s)))) return false;
      return true;
    });

    for (const [uid, s] of realStudies) {
      const row = (await studyRow(A, uid))!;
      expect(row.modalities).toContain(s.modality);
      expect(row.sourceArchiveId).toBe(archive1);
      const sops = await t.prisma.instance.findMany({ where: { studyId: row.id }, select: { sopInstanceUid: true } });
      expect(new Set(sops.map((i) => i.sopInstanceUid))).toEqual(s.sops);
    }
    // Names in other character sets survive WADO-RS as stored.
    const names = (await t.prisma.patient.findMany({ where: { hospitalId: A }, select: { name: true } })).map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['Wang^XiaoDong=王^小東', 'Äneas^Rüdiger']));
    for (const s of set2.studies) {
      const row = (await studyRow(B, s.studyInstanceUID))!;
      expect(row).toMatchObject({ accessionNumber: s.accessionNumber, studyDate: s.studyDate, description: s.studyDescription, modalities: [s.modality] });
      expect(row.patient).toMatchObject({ mrn: s.patientID, name: s.patientName });
    }

    // What each hospital's staff see.
    for (const [email, hospitalId, expected, foreign] of [
      ['staff.a@test.example', A, new Map([...realStudies].map(([uid, s]) => [uid, s.sops.size])), set2.studies.map((s) => s.studyInstanceUID)],
      ['staff.b@test.example', B, new Map(set2.studies.map((s) => [s.studyInstanceUID, instancesOf(s)])), [...realStudies.keys()]],
    ] as const) {
      const token = (await api.login(email)).accessToken;
      const r = await api.get('/api/studies?limit=500', { token });
      expect(r.status).toBe(200);
      const seen = new Map<string, number>(r.body.items.map((i: { studyInstanceUid: string; numInstances: number; hospitalId: string }) => [i.studyInstanceUid, i.numInstances]));
      for (const [uid, n] of expected) expect(seen.get(uid), `${email} sees ${uid}`).toBe(n);
      for (const uid of foreign) expect(seen.has(uid)).toBe(false);
      expect(r.body.items.every((i: { hospitalId: string }) => i.hospitalId === hospitalId)).toBe(true);
      // And through the platform's own QIDO-RS, with DICOM attributes.
      const qido = await fetch(`${t.baseUrl}/dicomweb/studies?limit=500`, { headers: { authorization: `Bearer ${token}`, accept: 'application/dicom+json' } });
      expect(qido.status).toBe(200);
      const studies = (await qido.json()) as Record<string, { Value?: unknown[] }>[];
      const qidoSeen = new Map(studies.map((st) => [st['0020000D'].Value![0] as string, Number(st['00201208']?.Value?.[0])]));
      for (const [uid, n] of expected) expect(qidoSeen.get(uid), `QIDO for ${email} lists ${uid}`).toBe(n);
      for (const uid of foreign) expect(qidoSeen.has(uid)).toBe(false);
    }

    // After the quiet period every pulled study is complete and on the worklist.
    const uids = [...[...realStudies.keys()].map((uid) => [A, uid]), ...set2.studies.map((s) => [B, s.studyInstanceUID])];
    await waitFor('worklist items for every pulled study', async () => {
      for (const [h, uid] of uids) {
        const row = await studyRow(h, uid);
        if (row?.status !== 'COMPLETE' || !row.worklistItem) return false;
      }
      return true;
    });
  });

  it('reports each archive OK with lastSyncAt and studiesSeen', async () => {
    const a1 = await waitFor('archive 1 OK', async () => {
      const s = await archiveStatus(archive1);
      return s.status === 'OK' && s.studiesSeen === realStudies.size && s;
    });
    expect(a1).toMatchObject({ id: archive1, lastError: null });
    expect(Date.now() - new Date(a1.lastSyncAt).getTime()).toBeLessThan(10_000);
    const a2 = await waitFor('archive 2 OK', async () => {
      const s = await archiveStatus(archive2);
      return s.status === 'OK' && s.studiesSeen === set2.studies.length && s;
    });
    expect(a2.lastError).toBeNull();
    // Orthanc: the cursor is the change feed's sequence number, followed to its end.
    const row = await t.prisma.archive.findUniqueOrThrow({ where: { id: archive1 } });
    expect(Number(row.cursor)).toBe(await lastChange(1));
    expect(row.lastSuccessAt).not.toBeNull();
  });

  it('pulls the same study twice without storing anything twice', async () => {
    // The study B already held one instance of was completed by the pull, not duplicated.
    const partial = (await studyRow(world.hospitalB.id, set2.studies[0].studyInstanceUID))!;
    expect(partial.numInstances).toBe(2);
    expect(await t.prisma.instance.count({ where: { studyId: partial.id } })).toBe(2);
    expect(filesUnder(path.join(t.config.STORAGE_DIR, world.hospitalB.id, set2.studies[0].studyInstanceUID))).toBe(2);

    // The same archive registered a second time for the same hospital: it syncs, and nothing is added.
    const A = world.hospitalA.id;
    const before = await t.prisma.instance.count({ where: { study: { hospitalId: A } } });
    const filesBefore = filesUnder(path.join(t.config.STORAGE_DIR, A));
    const mirror = await registerArchive(A, 'Alpha PACS (again)', `${origin(1)}/dicom-web/`);
    await waitFor('second registration synced', async () => {
      const row = await t.prisma.archive.findUniqueOrThrow({ where: { id: mirror } });
      return row.status === 'OK' && Number(row.cursor) === (await lastChange(1));
    });
    expect(await t.prisma.instance.count({ where: { study: { hospitalId: A } } })).toBe(before);
    expect(filesUnder(path.join(t.config.STORAGE_DIR, A))).toBe(filesBefore);
    expect(await t.prisma.study.count({ where: { hospitalId: A, studyInstanceUid: { in: [...realStudies.keys()] } } })).toBe(realStudies.size);
    await t.prisma.archive.update({ where: { id: mirror }, data: { status: 'DISABLED' } });
  });

  it('picks up a study added to an archive later, without a restart', async () => {
    const later = await gen('later2', '--seed', 'archive-sync-later-2', '--slices', '3', '--rows', '64', '--cols', '64', '--modality', 'MR', '--date', today());
    await archiveSh('load', '2', later.dir);
    const s = later.studies[0];
    await waitFor('the later study in hospital B', () => holds(world.hospitalB.id, s.studyInstanceUID, 3), 20_000);
    set2.studies.push(s);
  });

  it('pulls from a DICOMweb archive that is not Orthanc with QIDO-RS by date window, paged', async () => {
    // An Orthanc behind a proxy that only exposes /dicom-web/: to the platform, a generic DICOMweb server.
    const proxy = http.createServer((req, res) => {
      proxied.push({ url: req.url ?? '', at: Date.now() });
      if (!req.url?.startsWith('/dicom-web/')) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
      const up = http.request(`${origin(2)}${req.url}`, { method: req.method, headers: { ...req.headers, host: `127.0.0.1:${base + 2}` } }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.headersSent ? res.destroy() : res.writeHead(502).end());
      req.pipe(up);
    });
    servers.push(proxy);
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const port = (proxy.address() as net.AddressInfo).port;
    const generic = await registerArchive(hospitalC, 'Charlie VNA', `http://127.0.0.1:${port}/dicom-web/`);

    await waitFor('every archive 2 study in hospital C', async () => {
      for (const s of set2.studies) if (!(await holds(hospitalC, s.studyInstanceUID, instancesOf(s)))) return false;
      return true;
    });
    const requests = proxied.map((r) => r.url);
    const status = await waitFor('generic archive OK', async () => {
      const s = await archiveStatus(generic);
      return s.status === 'OK' && s.studiesSeen === set2.studies.length && s;
    });
    expect(status.lastError).toBeNull();
    expect(requests.some((u) => u.startsWith('/system'))).toBe(true); // probed, not Orthanc
    expect(requests.some((u) => u.startsWith('/changes'))).toBe(false);
    const qido = requests.filter((u) => /^\/dicom-web\/studies\?/.test(u) && !u.includes('StudyInstanceUID'));
    expect(qido.length).toBeGreaterThan(0);
    expect(qido.every((u) => /limit=\d+/.test(u) && /offset=\d+/.test(u))).toBe(true);
    // After the first success, only a window of dates is asked for (from the last success minus a day).
    await waitFor('a windowed QIDO query', async () => proxied.some((r) => /StudyDate=\d{8}-/.test(r.url)));
    expect(await t.prisma.archive.findUniqueOrThrow({ where: { id: generic } }).then((a) => a.cursor)).toBeNull();

    // A study dated today that appears later is found by the windowed query.
    const later = await gen('later-qido', '--seed', 'archive-sync-later-qido', '--slices', '2', '--rows', '64', '--cols', '64', '--modality', 'CT', '--date', today());
    await archiveSh('load', '2', later.dir);
    await waitFor('the later study in hospital C', () => holds(hospitalC, later.studies[0].studyInstanceUID, 2), 20_000);
    set2.studies.push(later.studies[0]);
  });

  it('an archive that is down goes ERROR with a useful lastError and is retried with exponential backoff; a hanging one blocks nothing; the archive recovers', async () => {
    // An archive that accepts connections and never answers.
    const blackHole = net.createServer((s) => void sockets.push(s));
    servers.push(blackHole);
    await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', () => r()));
    await registerArchive(hospitalC, 'Charlie (hangs)', `http://127.0.0.1:${(blackHole.address() as net.AddressInfo).port}/dicom-web/`);

    // Archive 2's Orthanc stops.
    const pid = Number(fs.readFileSync(path.join(stateDir, 'hosp2', 'orthanc.pid'), 'utf8'));
    process.kill(pid, 'SIGTERM');
    const killedAt = Date.now();
    await waitFor('archive 2 process gone', async () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    const down = await waitFor('archive 2 ERROR', async () => {
      const s = await archiveStatus(archive2);
      return s.status === 'ERROR' && s;
    });
    expect(down.lastError).toContain(origin(2));
    expect(down.lastError).toMatch(/ECONNREFUSED|refused/i);

    // Archive 1 keeps syncing meanwhile.
    const newer = await gen('later1', '--seed', 'archive-sync-later-1', '--slices', '2', '--rows', '64', '--cols', '64', '--modality', 'CR', '--date', today());
    await archiveSh('load', '1', newer.dir);
    await waitFor('the new study of archive 1 in hospital A', () => holds(world.hospitalA.id, newer.studies[0].studyInstanceUID, 2), 15_000);
    expect((await archiveStatus(archive1)).status).toMatch(/OK|SYNCING/);
    expect((await archiveStatus(archive2)).status).toBe('ERROR');
    const failedAt = (await t.prisma.archive.findUniqueOrThrow({ where: { id: archive2 } })).lastSuccessAt!;

    // The proxied archive fails too (its upstream is down): its attempts (each starts with a /system probe)
    // come 1, 2, 4 sync intervals apart, not every second.
    const attempts = await waitFor('four failed attempts of the proxied archive', async () => {
      const at = proxied.filter((r) => r.url === '/system' && r.at > killedAt).map((r) => r.at);
      return at.length >= 4 && at;
    }, 40_000);
    const gaps = attempts.slice(1, 4).map((at, i) => at - attempts[i]);
    // Nominally 1, 2, 4 s; scheduler ticks jitter on a loaded CI machine, so assert growth, not exact ratios.
    expect(gaps[0]).toBeGreaterThan(700);
    expect(gaps[1]).toBeGreaterThan(gaps[0] * 1.2);
    expect(gaps[2]).toBeGreaterThan(gaps[1] * 1.2);
    expect(gaps[2]).toBeGreaterThan(gaps[0] * 2);
    expect((await t.prisma.archive.findFirstOrThrow({ where: { name: 'Charlie VNA' } })).lastError).toMatch(/HTTP 502/);

    // Archive 2 comes back (same data): the platform notices without a restart.
    await archiveSh('up', '2', String(base));
    const back = await waitFor('archive 2 OK again', async () => {
      const s = await t.prisma.archive.findUniqueOrThrow({ where: { id: archive2 } });
      return s.status === 'OK' && s;
    }, 40_000);
    expect(back.lastError).toBeNull();
    expect(back.lastSuccessAt!.getTime()).toBeGreaterThan(failedAt.getTime());
  }, 90_000);

  it('PUSH: an archive sends a study to the platform with STOW-RS and the hospital API key; a second push adds nothing', async () => {
    const [{ ID: orthancId }] = (await (await fetch(`${origin(1)}/tools/lookup`, { method: 'POST', body: CT_4 })).json()) as { ID: string }[];
    const push = await fetch(`${origin(1)}/dicom-web/servers/platform/stow`, { method: 'POST', body: JSON.stringify({ Resources: [orthancId] }) });
    expect(push.status).toBe(200);
    // Hospital C (whose key the archives were started with) has no archive holding this study: it came by push.
    const row = await waitFor('pushed study in hospital C', () => studyRow(hospitalC, CT_4), 10_000);
    expect(row.numInstances).toBe(4);
    expect(row.sourceArchiveId).toBeNull();
    const audit = await t.prisma.auditEvent.findFirst({ where: { action: 'dicomweb.store', hospitalId: hospitalC, actorKind: 'API_KEY' } });
    expect(audit).not.toBeNull();

    // The same study pushed to hospital A, which already pulled it: deduplicated per SOP instance.
    const A = world.hospitalA.id;
    const before = await t.prisma.instance.count({ where: { study: { hospitalId: A } } });
    const put = await fetch(`${origin(1)}/dicom-web/servers/platform`, {
      method: 'PUT',
      body: JSON.stringify({ Url: `${t.baseUrl}/dicomweb/`, HttpHeaders: { Authorization: `ApiKey ${keyA}` } }),
    });
    expect(put.status).toBe(200);
    const again = await fetch(`${origin(1)}/dicom-web/servers/platform/stow`, { method: 'POST', body: JSON.stringify({ Resources: [orthancId] }) });
    expect(again.status).toBe(200);
    expect(await t.prisma.instance.count({ where: { study: { hospitalId: A } } })).toBe(before);
    expect((await studyRow(A, CT_4))!.numInstances).toBe(4);
  });
});
