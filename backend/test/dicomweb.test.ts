import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngestService } from '../src/ingest/ingest.service.js';
import { seedWorld, type World } from './fixtures.js';
import { client, createTestDatabase, startApp, type TestApp } from './harness.js';

/**
 * DICOMweb read side (QIDO-RS / WADO-RS) against a real Orthanc holding the same files:
 * every valid sample of peers/data/real goes into hospital A (and Orthanc HOSP1); the two
 * transfer-syntax variants that reuse a SOP Instance UID also go into hospital B (and
 * Orthanc HOSP2), so every file's frames are compared byte for byte.
 */

const run = promisify(execFile);
const PEERS = '/work/shared/peers';
const REAL = path.join(PEERS, 'data/real');
const ARCHIVE = path.join(PEERS, 'archive.sh');

interface SampleFile {
  file: string;
  transferSyntax: string;
  frames: number;
  sop: string;
  study: string;
}
const manifest: SampleFile[] = fs
  .readFileSync(path.join(REAL, 'MANIFEST.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split('\t'))
  .filter((r) => !r[0].startsWith('odd/'))
  .map((r) => ({ file: r[0], transferSyntax: r[4].split(' ')[0], frames: Number(r[5]) || 1, sop: r[8], study: r[9] }));
/** Variants whose SOP Instance UID an earlier file already uses: hospital B (and HOSP2) hold these. */
const VARIANTS = ['mr_small_implicit_le.dcm', 'mr_enhanced_multiframe10_j2k_lossless.dcm'];
const filesA = manifest;
const filesB = manifest.filter((f) => VARIANTS.includes(f.file));
/** What each side actually holds for a SOP Instance UID (first file wins in A). */
const heldByA = new Map<string, SampleFile>();
for (const f of filesA) if (!heldByA.has(f.sop)) heldByA.set(f.sop, f);
const FIXTURE_PREFIX = '1.2.826.0.1.3680043.10.1.'; // seedWorld's synthetic studies (no files)
const AS_STORED = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestApp;
let world: World;
let api: ReturnType<typeof client>;
const tokens: Record<string, string> = {};
let apiKeyA: string;
let stateDir: string;
let orthanc1: string;
let orthanc2: string;
/** SOP Instance UID → Series Instance UID (from the platform's index). */
const seriesOf = new Map<string, string>();

// ------------------------------------------------------------------ helpers

async function freeBase(): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  for (let i = 0; i < 50; i++) {
    const base = 20000 + Math.floor(Math.random() * 20000);
    const ports = [base + 1, base + 2, base + 101, base + 102];
    if ((await Promise.all(ports.map(free))).every(Boolean)) return base;
  }
  throw new Error('no free port range for Orthanc');
}

interface Part {
  headers: Record<string, string>;
  body: Buffer;
}

/** RFC 2046 multipart parser: boundary quoted or not; Orthanc's quoted type may contain ';'. */
function parseMultipart(body: Buffer, contentType: string): Part[] {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!m) throw new Error(`no boundary in ${contentType}`);
  const delimiter = Buffer.from(`--${m[1] ?? m[2]}`);
  const parts: Part[] = [];
  let pos = body.indexOf(delimiter);
  while (pos >= 0) {
    let cursor = pos + delimiter.length;
    if (body.subarray(cursor, cursor + 2).toString() === '--') break;
    cursor = body.indexOf('\r\n', cursor) + 2;
    const headers: Record<string, string> = {};
    let bodyStart: number;
    if (body.subarray(cursor, cursor + 2).toString() === '\r\n') bodyStart = cursor + 2;
    else {
      const end = body.indexOf('\r\n\r\n', cursor);
      for (const line of body.subarray(cursor, end).toString('latin1').split('\r\n')) {
        const i = line.indexOf(':');
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      bodyStart = end + 4;
    }
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), bodyStart);
    if (next < 0) throw new Error('multipart body ends without a closing boundary');
    parts.push({ headers, body: body.subarray(bodyStart, next) });
    pos = next + 2;
  }
  return parts;
}

async function get(url: string, opts: { token?: string; apiKey?: string; accept?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.apiKey) headers.authorization = `ApiKey ${opts.apiKey}`;
  if (opts.accept) headers.accept = opts.accept;
  const res = await fetch(url.startsWith('http') ? url : t.baseUrl + url, { headers });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body, json: () => JSON.parse(body.toString('utf8')) };
}

type Ds = Record<string, { vr: string; Value?: any[]; BulkDataURI?: string; InlineBinary?: string }>;
const val = (ds: Ds, tag: string) => ds[tag]?.Value?.[0];
const values = (ds: Ds, tag: string) => ds[tag]?.Value ?? [];
const uids = (list: Ds[]) => list.map((d) => val(d, '0020000D') as string);
const platformStudies = (list: Ds[]) => new Set(uids(list).filter((u) => !u.startsWith(FIXTURE_PREFIX)));

async function qido(pathAndQuery: string, token = tokens.staffA) {
  const r = await get(`/dicomweb${pathAndQuery}`, { token, accept: 'application/dicom+json' });
  expect(r.status, `${pathAndQuery}: ${r.body.toString().slice(0, 300)}`).toBe(200);
  return r.json() as Ds[];
}
async function orthancQido(base: string, pathAndQuery: string) {
  const r = await get(`${base}/dicom-web${pathAndQuery}`, { accept: 'application/dicom+json' });
  expect(r.status, `orthanc ${pathAndQuery}`).toBe(200);
  return r.json() as Ds[];
}

function frameUrl(sample: SampleFile, n: string | number) {
  return `/studies/${sample.study}/series/${seriesOf.get(sample.sop)}/instances/${sample.sop}/frames/${n}`;
}

// ------------------------------------------------------------------ setup

beforeAll(async () => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'teleread-dicomweb-orthanc-'));
  const env = { ...process.env, ARCHIVE_STATE_DIR: stateDir };
  const base = await freeBase();
  const orthancUp = run(ARCHIVE, ['up', '2', String(base)], { env }).then(async () => {
    orthanc1 = (await run(ARCHIVE, ['url', '1'], { env })).stdout.trim().replace(/\/+$/, '');
    orthanc2 = (await run(ARCHIVE, ['url', '2'], { env })).stdout.trim().replace(/\/+$/, '');
    await run(ARCHIVE, ['load', '1', ...filesA.map((f) => path.join(REAL, f.file))], { env });
    await run(ARCHIVE, ['load', '2', ...filesB.map((f) => path.join(REAL, f.file))], { env });
  });

  db = await createTestDatabase();
  t = await startApp(db.url);
  world = await seedWorld(t.prisma);
  api = client(t.baseUrl);
  for (const key of ['admin', 'staffA', 'staffB', 'radA', 'radAB', 'specialist'] as const) {
    tokens[key] = (await api.login(world.users[key].email)).accessToken;
  }
  apiKeyA = (await api.post(`/api/hospitals/${world.hospitalA.id}/api-keys`, { name: 'pacs' }, { token: tokens.admin })).body.key;

  const ingest = t.app.get(IngestService);
  const load = async (hospitalId: string, f: SampleFile) => {
    const tmp = ingest.newIncomingPath();
    fs.copyFileSync(path.join(REAL, f.file), tmp);
    const r = await ingest.ingestFile(hospitalId, tmp, { kind: 'STOW' });
    if (!r.ok) throw new Error(`ingest ${f.file}: ${r.message}`);
    return r;
  };
  for (const f of filesA) await load(world.hospitalA.id, f);
  for (const f of filesB) expect((await load(world.hospitalB.id, f)).duplicate).toBe(false);
  for (const i of await t.prisma.instance.findMany({ select: { sopInstanceUid: true, series: { select: { seriesInstanceUid: true } } } })) {
    seriesOf.set(i.sopInstanceUid, i.series.seriesInstanceUid);
  }
  await orthancUp;
}, 120_000);

afterAll(async () => {
  await t?.close();
  await db?.drop();
  if (stateDir) {
    await run(ARCHIVE, ['down', '--purge'], { env: { ...process.env, ARCHIVE_STATE_DIR: stateDir } }).catch(() => undefined);
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}, 60_000);

// ------------------------------------------------------------------ QIDO-RS

describe('QIDO-RS studies', () => {
  it('lists exactly the caller’s studies with the standard attributes, matching Orthanc’s', async () => {
    const r = await get('/dicomweb/studies', { token: tokens.staffA });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/dicom\+json/);
    const ours = r.json() as Ds[];
    const theirs = await orthancQido(orthanc1, '/studies');
    expect(platformStudies(ours)).toEqual(new Set(uids(theirs)));
    expect(uids(ours)).toContain(world.cases.a.study.studyInstanceUid);
    expect(uids(ours)).not.toContain(world.cases.b.study.studyInstanceUid);

    const byUid = new Map(ours.map((d) => [val(d, '0020000D'), d]));
    for (const o of theirs) {
      const p = byUid.get(val(o, '0020000D'))!;
      for (const tag of ['00080020', '00080030', '00080050', '00100020', '00100030', '00100040', '00200010', '00201206', '00201208']) {
        expect(values(p, tag).map(String), `${val(o, '0020000D')} ${tag}`).toEqual(values(o, tag).map(String));
      }
      expect(new Set(values(p, '00080061'))).toEqual(new Set(values(o, '00080061')));
      expect(val(p, '00100010')?.Alphabetic ?? '').toBe(val(o, '00100010')?.Alphabetic ?? '');
      for (const tag of ['00080005', '00080090', '00081190', '00100010', '0020000D']) expect(p[tag], tag).toBeDefined();
      expect(val(p, '00081190')).toBe(`${t.baseUrl}/dicomweb/studies/${val(o, '0020000D')}`);
    }
  });

  const MATCHING = [
    'PatientID=13US1',
    '00100020=13US1',
    'PatientID=*US*',
    'PatientName=*neas*',
    'PatientName=wang*',
    'PatientName=W?NG^XIAODONG*',
    'PatientName=compressed?amples*',
    'PatientName=CompressedSamples^US1',
    'StudyDate=20040826',
    'StudyDate=20030101-20041231',
    'StudyDate=-20031231',
    'StudyDate=20040101-',
    'StudyTime=060000-070000',
    'ModalitiesInStudy=CT,MR',
    'ModalitiesInStudy=CR',
    'ModalitiesInStudy=US',
    'AccessionNumber=2',
    'StudyInstanceUID=1.3.6.1.4.1.5962.1.2.1.20040826185059.5457,1.3.6.1.4.1.5962.1.2.13.20031208063649.855',
    'PatientID=13US1&ModalitiesInStudy=US',
  ];
  it.each(MATCHING)('matches like Orthanc: %s', async (query) => {
    const [ours, theirs] = await Promise.all([qido(`/studies?${query}`), orthancQido(orthanc1, `/studies?${query}`)]);
    // Orthanc lets a study without a StudyDate match any date range; an empty date matches no range here.
    const expected = query.startsWith('StudyDate=') ? theirs.filter((d) => val(d, '00080020')) : theirs;
    expect(platformStudies(ours)).toEqual(new Set(uids(expected)));
    expect(theirs.length, 'a query that matches nothing proves little').toBeGreaterThan(0);
  });

  it('matches PN case-insensitively beyond ASCII and on the ideographic group, exactly without wildcards', async () => {
    // Orthanc finds none of these: it folds ASCII case only and matches PN on its whole stored string.
    const latin = '1.3.6.1.4.1.5962.1.2.0.1175775772.5723.0';
    const chinese = '1.3.6.1.4.1.5962.1.2.0.1175775771.5711.0';
    expect(uids(await qido(`/studies?PatientName=${encodeURIComponent('äneas*')}`))).toEqual([latin]);
    expect(uids(await qido(`/studies?PatientName=${encodeURIComponent('ÄNEAS^RÜDIGER')}`))).toEqual([latin]);
    expect(uids(await qido('/studies?PatientName=wang^xiaodong'))).toEqual([chinese]);
    expect(uids(await qido(`/studies?PatientName=${encodeURIComponent('王*')}`))).toEqual([chinese]);
    expect(await qido('/studies?PatientName=wang')).toEqual([]);
  });

  it('matches the seeded study by ReferringPhysicianName, StudyDescription and a wildcard on PatientName', async () => {
    await t.prisma.study.update({ where: { id: world.cases.a.study.id }, data: { referringPhysician: 'Welby^Marcus' } });
    expect(uids(await qido('/studies?ReferringPhysicianName=welby*'))).toEqual([world.cases.a.study.studyInstanceUid]);
    expect(uids(await qido('/studies?StudyDescription=ct head*'))).toEqual([world.cases.a.study.studyInstanceUid]);
    expect(uids(await qido('/studies?PatientName=patient^?'))).toEqual([world.cases.a.study.studyInstanceUid]);
  });

  it('pages with limit and offset without gaps or repeats', async () => {
    const all = uids(await qido('/studies'));
    expect(all.length).toBeGreaterThan(10);
    const paged: string[] = [];
    for (let offset = 0; offset < all.length + 3; offset += 3) paged.push(...uids(await qido(`/studies?limit=3&offset=${offset}`)));
    expect(paged).toEqual(all);
    expect(await qido(`/studies?offset=${all.length}`)).toEqual([]);
  });

  it('includefield adds attributes (keyword, tag, comma list, repeated, all)', async () => {
    const uid = '1.3.6.1.4.1.5962.1.2.0.1175775772.5723.0'; // Latin-1 charset sample
    const [plain] = await qido(`/studies?StudyInstanceUID=${uid}`);
    expect(plain['00100021']).toBeUndefined();
    const [withFields] = await qido(`/studies?StudyInstanceUID=${uid}&includefield=StudyDescription,00080080&includefield=IssuerOfPatientID`);
    expect(withFields['00081030']).toBeDefined();
    expect(withFields['00080080']).toBeDefined();
    const [all] = await qido(`/studies?StudyInstanceUID=${uid}&includefield=all`);
    expect(Object.keys(all).length).toBeGreaterThanOrEqual(Object.keys(plain).length);
    expect(val(all, '00100010').Alphabetic).toBe('Äneas^Rüdiger');
  });

  it('answers an empty search with 200 []', async () => {
    const r = await get('/dicomweb/studies?PatientID=NOBODY', { token: tokens.staffA });
    expect(r.status).toBe(200);
    expect(r.json()).toEqual([]);
  });

  it('refuses unknown query parameters and includefield names, naming them', async () => {
    let r = await get('/dicomweb/studies?PatientID=1&frobnicate=1&Bogus=2', { token: tokens.staffA });
    expect(r.status).toBe(400);
    expect(r.json().message).toMatch(/frobnicate.*Bogus/);
    r = await get('/dicomweb/studies?includefield=NotAKeyword', { token: tokens.staffA });
    expect(r.status).toBe(400);
    expect(r.json().message).toContain('NotAKeyword');
    r = await get('/dicomweb/studies?StudyDate=2004-08-26', { token: tokens.staffA });
    expect(r.status).toBe(400);
    expect(r.json().message).toContain('StudyDate');
    r = await get('/dicomweb/studies?limit=abc', { token: tokens.staffA });
    expect(r.status).toBe(400);
  });

  it('accepts fuzzymatching and warns about keys it cannot match at this level', async () => {
    const r = await get('/dicomweb/studies?fuzzymatching=true&SOPClassUID=1.2.3&limit=1', { token: tokens.staffA });
    expect(r.status).toBe(200);
    expect(r.headers.get('warning')).toMatch(/^299 .*SOPClassUID/);
  });

  it('requires authentication; a hospital API key sees its hospital only', async () => {
    expect((await get('/dicomweb/studies')).status).toBe(401);
    const r = await get('/dicomweb/studies', { apiKey: apiKeyA });
    expect(r.status).toBe(200);
    expect(uids(r.json())).toContain(world.cases.a.study.studyInstanceUid);
    expect(uids(r.json())).not.toContain(world.cases.b.study.studyInstanceUid);
  });
});

describe('QIDO-RS series and instances', () => {
  const multiStudy = manifest.find((f) => f.file === 'study_77654033/cr1.dcm')!.study;

  it('lists a study’s series like Orthanc', async () => {
    const [ours, theirs] = await Promise.all([qido(`/studies/${multiStudy}/series`), orthancQido(orthanc1, `/studies/${multiStudy}/series`)]);
    const key = (d: Ds) => val(d, '0020000E') as string;
    expect(new Set(ours.map(key))).toEqual(new Set(theirs.map(key)));
    const byUid = new Map(ours.map((d) => [key(d), d]));
    for (const o of theirs) {
      const p = byUid.get(key(o))!;
      for (const tag of ['00080060', '00200011', '00201209', '0020000D']) expect(values(p, tag).map(String), tag).toEqual(values(o, tag).map(String));
      expect(val(p, '00081190')).toBe(`${t.baseUrl}/dicomweb/studies/${multiStudy}/series/${key(o)}`);
    }
    expect((await qido(`/studies/${multiStudy}/series?Modality=CR`)).map((d) => val(d, '00080060'))).toEqual(['CR', 'CR', 'CR']);
    expect(await qido(`/studies/${multiStudy}/series?Modality=CT`)).toEqual([]);
  });

  it('lists a series’ instances like Orthanc, and searches across studies', async () => {
    for (const sample of [manifest.find((f) => f.file === 'study_77654033/ct_1.dcm')!, manifest.find((f) => f.file === 'mr_enhanced_multiframe10_explicit_le.dcm')!]) {
      const se = seriesOf.get(sample.sop)!;
      const q = `/studies/${sample.study}/series/${se}/instances`;
      const [ours, theirs] = await Promise.all([qido(q), orthancQido(orthanc1, q)]);
      const key = (d: Ds) => val(d, '00080018') as string;
      expect(new Set(ours.map(key))).toEqual(new Set(theirs.map(key)));
      const byUid = new Map(ours.map((d) => [key(d), d]));
      for (const o of theirs) {
        const p = byUid.get(key(o))!;
        for (const tag of ['00080016', '00200013', '00280010', '00280011', '00280008']) {
          if (o[tag]?.Value) expect(values(p, tag).map(String), tag).toEqual(values(o, tag).map(String));
        }
      }
    }
    const sample = heldByA.get(manifest.find((f) => f.file === 'ct_512_rle.dcm')!.sop)!;
    const found = await qido(`/instances?SOPInstanceUID=${sample.sop}`);
    expect(found.map((d) => val(d, '00080018'))).toEqual([sample.sop]);
    expect(val(found[0], '00100020')).toBeDefined(); // study attributes at the all-instances level
    expect(val(found[0], '00083002')).toBe(sample.transferSyntax);
    const crSeries = await qido('/series?Modality=CR');
    expect(crSeries.length).toBeGreaterThanOrEqual(4);
    expect(new Set(crSeries.map((d) => val(d, '00080060')))).toEqual(new Set(['CR']));
  });

  it('is 404 for a study or series that does not exist', async () => {
    expect((await get('/dicomweb/studies/1.2.3.4/series', { token: tokens.staffA })).status).toBe(404);
    expect((await get(`/dicomweb/studies/${multiStudy}/series/1.2.3/instances`, { token: tokens.staffA })).status).toBe(404);
  });
});

// ------------------------------------------------------------------ WADO-RS frames

describe('WADO-RS frames equal Orthanc’s', () => {
  const withPixels = [...filesA.filter((f) => !VARIANTS.includes(f.file) && f.file !== 'sr_comprehensive.dcm'), ...filesB];
  it.each(withPixels.map((f) => [f.file, f] as const))('%s: every frame byte-equal, transfer syntax named', async (_name, sample) => {
    const token = VARIANTS.includes(sample.file) ? tokens.staffB : tokens.staffA;
    const orthanc = VARIANTS.includes(sample.file) ? orthanc2 : orthanc1;
    const list = Array.from({ length: sample.frames }, (_, i) => i + 1);
    const ours = await get(`/dicomweb${frameUrl(sample, list.join(','))}`, { token, accept: AS_STORED });
    expect(ours.status, ours.body.toString().slice(0, 300)).toBe(200);
    const ct = ours.headers.get('content-type')!;
    expect(ct).toMatch(/^multipart\/related; type="[a-z-]+\/[a-z0-9.-]+"/);
    const parts = parseMultipart(ours.body, ct);
    expect(parts).toHaveLength(sample.frames);
    const native = ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1'].includes(sample.transferSyntax);
    for (const [i, part] of parts.entries()) {
      expect(part.headers['content-type']).toContain(`transfer-syntax=${native ? '1.2.840.10008.1.2.1' : sample.transferSyntax}`);
      if (native) expect(part.headers['content-type']).toMatch(/^application\/octet-stream/);
      const theirs = await get(`${orthanc}/dicom-web${frameUrl(sample, i + 1)}`, { accept: AS_STORED });
      expect(theirs.status).toBe(200);
      const [expected] = parseMultipart(theirs.body, theirs.headers.get('content-type')!);
      expect(expected.headers['content-type']).toContain('transfer-syntax=');
      expect(part.body.length, `frame ${i + 1} length`).toBe(expected.body.length);
      expect(part.body.equals(expected.body), `frame ${i + 1} bytes`).toBe(true);
    }
  });

  it('serves a single frame in its own media type when asked (type="image/jp2"), and frames in any order', async () => {
    const j2k = filesB.find((f) => f.transferSyntax === '1.2.840.10008.1.2.4.90')!;
    const r = await get(`/dicomweb${frameUrl(j2k, '3,1')}`, { token: tokens.staffB, accept: 'multipart/related; type="image/jp2"' });
    expect(r.status).toBe(200);
    const parts = parseMultipart(r.body, r.headers.get('content-type')!);
    expect(parts.map((p) => p.headers['content-type'])).toEqual(Array(2).fill('image/jp2; transfer-syntax=1.2.840.10008.1.2.4.90'));
    const one = await get(`/dicomweb${frameUrl(j2k, 1)}`, { token: tokens.staffB, accept: AS_STORED });
    expect(parts[1].body.equals(parseMultipart(one.body, one.headers.get('content-type')!)[0].body)).toBe(true);
    // Orthanc's style: transfer syntax inside the quoted type parameter.
    const orthancStyle = await get(`/dicomweb${frameUrl(j2k, 2)}`, { token: tokens.staffB, accept: 'multipart/related; type="application/octet-stream; transfer-syntax=*"' });
    expect(orthancStyle.status).toBe(200);
  });

  it('refuses what would need transcoding (406), bad frame lists (400) and missing frames (404)', async () => {
    const j2k = heldByA.get(manifest.find((f) => f.file === 'ct_512_j2k_lossy.dcm')!.sop)!;
    let r = await get(`/dicomweb${frameUrl(j2k, 1)}`, { token: tokens.staffA, accept: 'multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.1' });
    expect(r.status).toBe(406);
    expect(r.json().message).toMatch(/JPEG 2000.*does not transcode/);
    r = await get(`/dicomweb${frameUrl(j2k, 1)}`, { token: tokens.staffA, accept: 'multipart/related; type="image/jpeg"' });
    expect(r.status).toBe(406);
    r = await get(`/dicomweb${frameUrl(j2k, '0')}`, { token: tokens.staffA, accept: AS_STORED });
    expect(r.status).toBe(400);
    r = await get(`/dicomweb${frameUrl(j2k, 'x')}`, { token: tokens.staffA, accept: AS_STORED });
    expect(r.status).toBe(400);
    r = await get(`/dicomweb${frameUrl(j2k, '1,2')}`, { token: tokens.staffA, accept: AS_STORED });
    expect(r.status).toBe(404);
    expect(r.json().message).toMatch(/Frame 2 does not exist.*1 frame/);
    const sr = manifest.find((f) => f.file === 'sr_comprehensive.dcm')!;
    r = await get(`/dicomweb${frameUrl(sr, 1)}`, { token: tokens.staffA, accept: AS_STORED });
    expect(r.status).toBe(404);
    // Native frames satisfy an explicit request for Explicit VR Little Endian.
    const native = heldByA.get(manifest.find((f) => f.file === 'ct_small_128_explicit_le.dcm')!.sop)!;
    r = await get(`/dicomweb${frameUrl(native, 1)}`, { token: tokens.staffA, accept: 'multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.1' });
    expect(r.status).toBe(200);
    expect(parseMultipart(r.body, r.headers.get('content-type')!)[0].body.length).toBe(128 * 128 * 2);
  });
});

// ------------------------------------------------------------------ WADO-RS instances and metadata

describe('WADO-RS retrieve and metadata', () => {
  const sample = (file: string) => heldByA.get(manifest.find((f) => f.file === file)!.sop)!;

  it('returns the stored Part-10 file: multipart (random boundary) or single part', async () => {
    const s = sample('ct_512_jpeg_lossless_sv1.dcm');
    const url = `/dicomweb/studies/${s.study}/series/${seriesOf.get(s.sop)}/instances/${s.sop}`;
    const original = fs.readFileSync(path.join(REAL, s.file));
    const a = await get(url, { token: tokens.staffA, accept: 'multipart/related; type="application/dicom"' });
    const b = await get(url, { token: tokens.staffA });
    expect(a.status).toBe(200);
    const ct = a.headers.get('content-type')!;
    expect(ct).toMatch(/^multipart\/related; type="application\/dicom"; boundary=[0-9a-f]{32}$/);
    expect(ct).not.toBe(b.headers.get('content-type'));
    const parts = parseMultipart(a.body, ct);
    expect(parts).toHaveLength(1);
    expect(parts[0].headers['content-type']).toBe(`application/dicom; transfer-syntax=${s.transferSyntax}`);
    expect(parts[0].body.equals(original)).toBe(true);
    const single = await get(url, { token: tokens.staffA, accept: 'application/dicom' });
    expect(single.status).toBe(200);
    expect(single.body.equals(original)).toBe(true);
    const explicitTs = await get(url, { token: tokens.staffA, accept: 'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.1' });
    expect(explicitTs.status).toBe(406);
    const starTs = await get(url, { token: tokens.staffA, accept: 'multipart/related; type=application/dicom; transfer-syntax=*' });
    expect(starTs.status).toBe(200);
  });

  it('streams a whole study and a whole series, one part per stored file', async () => {
    const study = manifest.find((f) => f.file === 'study_77654033/cr1.dcm')!.study;
    const files = manifest.filter((f) => f.study === study);
    const r = await get(`/dicomweb/studies/${study}`, { token: tokens.staffA });
    expect(r.status).toBe(200);
    const parts = parseMultipart(r.body, r.headers.get('content-type')!);
    expect(parts).toHaveLength(files.length);
    const originals = new Set(files.map((f) => fs.readFileSync(path.join(REAL, f.file)).toString('base64')));
    for (const p of parts) expect(originals.has(p.body.toString('base64'))).toBe(true);
    const ct = manifest.find((f) => f.file === 'study_77654033/ct_1.dcm')!;
    const series = await get(`/dicomweb/studies/${ct.study}/series/${seriesOf.get(ct.sop)}`, { token: tokens.staffA });
    expect(parseMultipart(series.body, series.headers.get('content-type')!)).toHaveLength(4);
  });

  it('metadata at study, series and instance level matches Orthanc’s (UTF-8 and Latin-1 names included)', async () => {
    const KEY_TAGS = ['00080005', '00080016', '00080018', '00080020', '00080060', '00100020', '0020000D', '0020000E', '00200013', '00280002', '00280004', '00280010', '00280011', '00280100', '00280101', '00280008'];
    const studies = [...new Set(filesA.map((f) => f.study))];
    for (const study of studies) {
      const [ours, theirs] = await Promise.all([
        get(`/dicomweb/studies/${study}/metadata`, { token: tokens.staffA }),
        get(`${orthanc1}/dicom-web/studies/${study}/metadata`, { accept: 'application/dicom+json' }),
      ]);
      expect(ours.status).toBe(200);
      expect(ours.headers.get('content-type')).toMatch(/^application\/dicom\+json/);
      const mine = new Map((ours.json() as Ds[]).map((d) => [val(d, '00080018'), d]));
      const orth = theirs.json() as Ds[];
      expect(new Set(mine.keys())).toEqual(new Set(orth.map((d) => val(d, '00080018'))));
      for (const o of orth) {
        const p = mine.get(val(o, '00080018'))!;
        for (const tag of KEY_TAGS) {
          if (tag === '00080005') continue; // ours is UTF-8 JSON, declared ISO_IR 192; Orthanc echoes the file's
          expect(values(p, tag).map(String), `${val(o, '00080018')} ${tag}`).toEqual(values(o, tag).map(String));
        }
        const pn = val(o, '00100010');
        if (pn) {
          expect(val(p, '00100010').Alphabetic).toBe(pn.Alphabetic);
          if (pn.Ideographic) expect(val(p, '00100010').Ideographic).toBe(pn.Ideographic);
        }
      }
    }
    const latin = sample('charset_latin1_german.dcm');
    const utf8 = sample('charset_utf8_chinese.dcm');
    const [l] = (await get(`/dicomweb/studies/${latin.study}/series/${seriesOf.get(latin.sop)}/instances/${latin.sop}/metadata`, { token: tokens.staffA })).json();
    expect(val(l, '00100010').Alphabetic).toBe('Äneas^Rüdiger');
    // Names arrive decoded into UTF-8 JSON, and SpecificCharacterSet says so.
    expect(val(l, '00080005')).toBe('ISO_IR 192');
    const [u] = (await get(`/dicomweb/studies/${utf8.study}/series/${seriesOf.get(utf8.sop)}/metadata`, { token: tokens.staffA })).json();
    expect(val(u, '00100010')).toMatchObject({ Alphabetic: 'Wang^XiaoDong', Ideographic: '王^小東' });
  });

  it('rewrites BulkDataURIs to absolute URLs from the forwarded host, and serves them like Orthanc', async () => {
    const s = sample('us_palette_implicit_le.dcm');
    const url = `/dicomweb/studies/${s.study}/series/${seriesOf.get(s.sop)}/instances/${s.sop}/metadata`;
    const r = await get(url, { token: tokens.staffA, headers: { 'x-forwarded-host': 'pacs.example.org', 'x-forwarded-proto': 'https' } });
    const [md] = r.json() as Ds[];
    const bulk = Object.entries(md).filter(([, el]) => el.BulkDataURI);
    expect(bulk.length).toBeGreaterThan(1);
    const prefix = `https://pacs.example.org/dicomweb/studies/${s.study}/series/${seriesOf.get(s.sop)}/instances/${s.sop}/bulk/`;
    for (const [, el] of bulk) expect(el.BulkDataURI!.startsWith(prefix)).toBe(true);
    expect(JSON.stringify(md)).not.toContain('bulk:');

    const [orth] = (await get(`${orthanc1}/dicom-web${url.replace('/dicomweb', '')}`, { accept: 'application/dicom+json' })).json() as Ds[];
    const lut = bulk.find(([tag]) => tag !== '7FE00010' && orth[tag]?.BulkDataURI)!;
    expect(lut, 'a non-pixel bulk element that Orthanc also serves').toBeDefined();
    const ours = await get(lut[1].BulkDataURI!.replace('https://pacs.example.org', t.baseUrl), { token: tokens.staffA });
    const theirs = await get(orth[lut[0]].BulkDataURI!, {});
    expect(ours.status).toBe(200);
    const oursBody = parseMultipart(ours.body, ours.headers.get('content-type')!)[0].body;
    const theirsBody = parseMultipart(theirs.body, theirs.headers.get('content-type')!)[0].body;
    expect(oursBody.equals(theirsBody)).toBe(true);
    // PixelData's BulkDataURI answers the frames.
    const pixel = await get(md['7FE00010'].BulkDataURI!.replace('https://pacs.example.org', t.baseUrl), { token: tokens.staffA, accept: AS_STORED });
    expect(pixel.status).toBe(200);
    expect(parseMultipart(pixel.body, pixel.headers.get('content-type')!)[0].body.length).toBe(480 * 640 * 2);
  });

  it('serves elements inside sequence items by position (seqTag/item/tag)', async () => {
    const s = sample('ct_enhanced_multiframe2.dcm');
    const url = `/dicomweb/studies/${s.study}/series/${seriesOf.get(s.sop)}/instances/${s.sop}`;
    const [md] = (await get(`${url}/metadata`, { token: tokens.staffA })).json() as Ds[];
    const measures = val(val(md, '52009229'), '00289110');
    const spacing = (measures['00280030'].Value as number[]).map(Number);
    const r = await get(`${url}/bulk/52009229/0/00289110/0/00280030`, { token: tokens.staffA, accept: 'application/octet-stream' });
    expect(r.status).toBe(200);
    expect(r.body.toString('latin1').trim().split('\\').map(Number)).toEqual(spacing);
    expect((await get(`${url}/bulk/52009229/7/00289110`, { token: tokens.staffA })).status).toBe(404);
  });

  it('builds RetrieveURL from PUBLIC_URL-less requests’ forwarded proto/host too', async () => {
    const r = await get(`/dicomweb/studies?StudyInstanceUID=${world.cases.a.study.studyInstanceUid}`, {
      token: tokens.staffA,
      headers: { 'x-forwarded-host': 'viewer.example.org', 'x-forwarded-proto': 'https' },
    });
    expect(val(r.json()[0], '00081190')).toBe(`https://viewer.example.org/dicomweb/studies/${world.cases.a.study.studyInstanceUid}`);
  });
});

// ------------------------------------------------------------------ tenancy and audit

describe('tenancy and audit', () => {
  const aOnly = heldByA.get(manifest.find((f) => f.file === 'ct_512_rle.dcm')!.sop)!;
  const routes = (s: SampleFile) => {
    const se = seriesOf.get(s.sop);
    const base = `/dicomweb/studies/${s.study}`;
    return [
      `${base}`,
      `${base}/metadata`,
      `${base}/series`,
      `${base}/instances`,
      `${base}/series/${se}`,
      `${base}/series/${se}/metadata`,
      `${base}/series/${se}/instances`,
      `${base}/series/${se}/instances/${s.sop}`,
      `${base}/series/${se}/instances/${s.sop}/metadata`,
      `${base}/series/${se}/instances/${s.sop}/frames/1`,
      `${base}/series/${se}/instances/${s.sop}/bulk/7FE00010`,
    ];
  };

  it('hospital B’s staff get the same 404 as for an unknown study, on every route', async () => {
    const unknown: SampleFile = { ...aOnly, study: '1.2.3.999', sop: '1.2.3.999.1' };
    seriesOf.set(unknown.sop, '1.2.3.999.2');
    const own = routes(aOnly);
    const none = routes(unknown);
    for (const [i, route] of own.entries()) {
      const foreign = await get(route, { token: tokens.staffB, accept: '*/*' });
      const missing = await get(none[i], { token: tokens.staffB, accept: '*/*' });
      expect(foreign.status, route).toBe(404);
      expect(foreign.json().message, route).toBe(missing.json().message);
      expect((await get(route, { token: tokens.staffA, accept: '*/*' })).status, `staff A ${route}`).toBe(200);
    }
  });

  it('QIDO never lists another hospital’s studies, series or instances', async () => {
    const b = await qido('/studies?limit=1000', tokens.staffB);
    expect(uids(b)).not.toContain(aOnly.study);
    expect(await qido(`/studies?StudyInstanceUID=${aOnly.study}`, tokens.staffB)).toEqual([]);
    expect(await qido(`/instances?SOPInstanceUID=${aOnly.sop}`, tokens.staffB)).toEqual([]);
    expect(await qido(`/series?SeriesInstanceUID=${seriesOf.get(aOnly.sop)}`, tokens.staffB)).toEqual([]);
    // The study UID both hospitals hold (a variant file) shows B its own copy only.
    const shared = filesB[0];
    const seen = await qido(`/studies/${shared.study}/series/${seriesOf.get(shared.sop)}/instances`, tokens.staffB);
    expect(seen.map((d) => val(d, '00083002'))).toEqual([shared.transferSyntax]);
    expect((await qido('/studies', tokens.specialist)).length).toBe(0);
  });

  it('writes an audit row per patient for every search and retrieval', async () => {
    const tag = `dw-audit-${Date.now()}`;
    const calls: [string, string, string][] = [
      ['/dicomweb/studies?ModalitiesInStudy=CT', 'dicomweb.search', '*/*'],
      [routes(aOnly)[0], 'dicomweb.retrieve', '*/*'],
      [routes(aOnly)[8], 'dicomweb.metadata', '*/*'],
      [routes(aOnly)[9], 'dicomweb.retrieve', AS_STORED],
      [routes(aOnly)[6], 'dicomweb.search', '*/*'],
    ];
    const study = await t.prisma.study.findFirstOrThrow({ where: { studyInstanceUid: aOnly.study, hospitalId: world.hospitalA.id } });
    for (const [i, [route, action, accept]] of calls.entries()) {
      const requestId = `${tag}-${i}`;
      const r = await get(route, { token: tokens.staffA, accept, headers: { 'x-request-id': requestId } });
      expect(r.status).toBe(200);
      const rows = await t.prisma.auditEvent.findMany({ where: { requestId } });
      expect(rows, route).toHaveLength(1);
      expect(rows.every((e) => e.action === action && e.actorId === world.users.staffA.id && e.outcome === 'SUCCESS')).toBe(true);
      if (action !== 'dicomweb.search' || i === 4) expect(rows[0].patientIds).toContain(study.patientId);
      if (action === 'dicomweb.search' && i === 0) {
        const ct = await qido('/studies?ModalitiesInStudy=CT');
        const patients = await t.prisma.study.findMany({ where: { studyInstanceUid: { in: uids(ct) }, hospitalId: world.hospitalA.id }, select: { patientId: true } });
        expect(new Set(rows[0].patientIds)).toEqual(new Set(patients.map((p) => p.patientId)));
      }
    }
    const denied = `${tag}-denied`;
    await get(routes(aOnly)[1], { token: tokens.staffB, headers: { 'x-request-id': denied } });
    const rows = await t.prisma.auditEvent.findMany({ where: { requestId: denied } });
    expect(rows.map((e) => [e.action, e.outcome, e.patientIds])).toEqual([['dicomweb.metadata', 'FAILURE', []]]);
  });
});
