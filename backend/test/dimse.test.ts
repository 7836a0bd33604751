import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { requestContext, type RequestContext } from '../src/common/request-context.js';
import { DimseService } from '../src/dimse/dimse.service.js';
import { IngestService, type IngestResult, type IngestSource } from '../src/ingest/ingest.service.js';
import { createTestDatabase, startApp, type TestApp } from './harness.js';
import { RawScu, datasetOf } from './raw-scu.js';

const PEERS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/peers');
const REAL = path.join(PEERS, 'data/real');
const ODD = path.join(REAL, 'odd');
const AET = 'TELEREAD';
const VERIFICATION = '1.2.840.10008.1.1';
const CT_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestApp;
let port: number;
let work: string;
let incoming: string;
let modality: { id: string };
let archiveHospital: { id: string };
/** Every ingest call the SCP made: what it passed, the request context it ran in, and the answer. */
const ingests: Array<{ hospitalId: string; source: IngestSource; ctx: RequestContext | undefined; result: IngestResult }> = [];

function run(cmd: string, args: string[], env: Record<string, string> = {}, timeout = 60_000): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, timeout, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

const echoscu = (callingAe: string, calledAe = AET) => run('echoscu', ['-aet', callingAe, '-aec', calledAe, '127.0.0.1', String(port)], { TCP_NODELAY: '1' });

/** dcmsend with a transfer report; returns dcmsend's exit code and the DIMSE status it got per file ("0x0000", "<not sent>", ...). */
async function dcmsend(files: string[], callingAe = 'MODALITY1', extra: string[] = []) {
  const report = path.join(work, `report-${Math.random().toString(36).slice(2)}.txt`);
  const r = await run('dcmsend', ['-aet', callingAe, '-aec', AET, '-nh', '+crf', report, ...extra, '127.0.0.1', String(port), ...files], { TCP_NODELAY: '1' });
  const statuses = new Map<string, string>();
  const text = fs.existsSync(report) ? fs.readFileSync(report, 'utf8') : '';
  for (const block of text.split(/\n(?=Number\s+:)/)) {
    const file = /^Filename\s+:\s*(.+)$/m.exec(block)?.[1].trim();
    const status = /^DIMSE Status\s+:\s*(\S+)/m.exec(block)?.[1];
    if (file && status) statuses.set(file, status);
  }
  return { ...r, statuses };
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** Deterministic synthetic studies (unique UIDs per seed) from the peers' generator. */
async function generate(seed: string, studies: number, slices: number): Promise<{ dir: string; studyUids: string[]; files: string[][] }> {
  const dir = path.join(work, `gen-${seed}`);
  const r = await run(process.execPath, [path.join(PEERS, 'gen-study.mjs'), '--out', dir, '--seed', seed, '--studies', String(studies), '--slices', String(slices), '--rows', '64', '--cols', '64', '--quiet']);
  expect(r.code, r.out).toBe(0);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { studies: { studyInstanceUID: string; dir: string }[] };
  return {
    dir,
    studyUids: manifest.studies.map((s) => s.studyInstanceUID),
    files: manifest.studies.map((s) => walk(path.join(dir, s.dir)).filter((f) => f.endsWith('.dcm')).sort()),
  };
}

const instancesOfStudy = (hospitalId: string, studyInstanceUid: string) => t.prisma.instance.count({ where: { study: { hospitalId, studyInstanceUid } } });

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
const incomingFiles = () => (fs.existsSync(incoming) ? fs.readdirSync(incoming) : []);

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'teleread-dimse-'));
  db = await createTestDatabase();
  // DICOM_PORT 0: the OS picks a free port; DimseService.port says which.
  t = await startApp(db.url, { DICOM_PORT: '0', DICOM_AET: AET, STUDY_STABLE_SECONDS: '1' });
  port = t.app.get(DimseService).port!;
  incoming = path.join(t.config.STORAGE_DIR, '.incoming');
  const network = await t.prisma.network.create({ data: { name: 'DIMSE network' } });
  modality = await t.prisma.hospital.create({
    data: { networkId: network.id, name: 'Modality General', jurisdiction: 'TX', timezone: 'America/Chicago', aeTitles: { create: [{ aeTitle: 'MODALITY1' }] } },
  });
  archiveHospital = await t.prisma.hospital.create({
    data: { networkId: network.id, name: 'Archive Hospital', jurisdiction: 'TX', timezone: 'America/Chicago', aeTitles: { create: [{ aeTitle: 'HOSP1' }] } },
  });
  const ingest = t.app.get(IngestService);
  const original = ingest.ingestFile.bind(ingest);
  vi.spyOn(ingest, 'ingestFile').mockImplementation(async (hospitalId, tmpPath, source) => {
    const ctx = requestContext.current();
    const result = await original(hospitalId, tmpPath, source);
    ingests.push({ hospitalId, source, ctx: ctx && { ...ctx }, result });
    return result;
  });
});

afterAll(async () => {
  await t?.close();
  await db?.drop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('DIMSE SCP: association negotiation', () => {
  it('listens on the OS-chosen port when DICOM_PORT=0', () => {
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(11112);
  });

  it('answers C-ECHO from a calling AE title registered to a hospital (echoscu)', async () => {
    const r = await echoscu('MODALITY1');
    expect(r.code, r.out).toBe(0);
  });

  it('rejects an unknown calling AE title, also when only the case differs (echoscu exits non-zero)', async () => {
    for (const aet of ['STRANGER', 'modality1']) {
      const r = await echoscu(aet);
      expect(r.code, r.out).not.toBe(0);
      expect(r.out).toMatch(/Association Rejected/i);
      expect(r.out).toMatch(/Calling AE Title Not Recognized/i);
    }
  });

  it('rejects a called AE title that is not ours', async () => {
    const r = await echoscu('MODALITY1', 'SOMEONE');
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toMatch(/Called AE Title Not Recognized/i);
  });

  it('sends A-ASSOCIATE-RJ permanent / service user / (calling|called) AE not recognized', async () => {
    const cases = [
      { calling: 'STRANGER', called: AET, reason: 3 },
      { calling: 'MODALITY1', called: 'SOMEONE', reason: 7 },
    ];
    for (const c of cases) {
      const scu = await RawScu.connect(port);
      const r = await scu.associate(c.calling, c.called, [{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }]);
      expect(r).toEqual({ accepted: false, result: 1, source: 1, reason: c.reason });
      await scu.closed; // the SCP closes its side after the reject
    }
  });

  it('writes a DENIED audit event for every refused association: who called, which AE, from where', async () => {
    const audited = () => t.prisma.auditEvent.findMany({ where: { action: 'dimse.associate' }, orderBy: { id: 'asc' } });
    const before = (await audited()).length;
    expect((await echoscu('INTRUDER')).code).not.toBe(0);
    expect((await echoscu('MODALITY1', 'SOMEONE')).code).not.toBe(0);
    expect((await echoscu('MODALITY1')).code).toBe(0); // an accepted association is not an event here
    // Recorded before the rejection is sent, so already there when the SCU has its answer.
    const rows = (await audited()).slice(before);
    expect(rows.map((r) => [r.outcome, r.objectId, r.actorKind, r.patientIds])).toEqual([
      ['DENIED', 'INTRUDER', 'ANONYMOUS', []],
      ['DENIED', 'MODALITY1', 'ANONYMOUS', []],
    ]);
    expect(rows[0].detail).toMatchObject({ callingAeTitle: 'INTRUDER', calledAeTitle: AET, reason: 'calling AE title not recognized' });
    expect(rows[1].detail).toMatchObject({ callingAeTitle: 'MODALITY1', calledAeTitle: 'SOMEONE', reason: 'called AE title not recognized' });
    for (const r of rows) {
      expect(r.requestId).toMatch(/^dimse:/);
      expect(r.sourceIp).toMatch(/^(127\.0\.0\.1|::1)$/);
    }
  });

  it('drops a connection whose PDU claims more than the maximum length, before buffering it', async () => {
    const scu = await RawScu.connect(port);
    const head = Buffer.from([0x01, 0, 0xff, 0xff, 0xff, 0xf0]); // A-ASSOCIATE-RQ of ~4 GiB
    scu.socket.write(Buffer.concat([head, Buffer.alloc(1024)]));
    await scu.closed;
    expect((await echoscu('MODALITY1')).code).toBe(0);
  });

  it('accepts Verification and storage contexts with the proposed transfer syntax, rejects the rest per context', async () => {
    const scu = await RawScu.connect(port);
    const r = await scu.associate('MODALITY1', AET, [
      { id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] },
      { id: 3, abstractSyntax: CT_STORAGE, transferSyntaxes: ['1.2.840.10008.1.2.4.90'] },
      { id: 5, abstractSyntax: CT_STORAGE, transferSyntaxes: [EXPLICIT_LE, IMPLICIT_LE] },
      { id: 7, abstractSyntax: '1.2.840.10008.5.1.4.1.2.2.1', transferSyntaxes: [IMPLICIT_LE] }, // Study Root C-FIND
      { id: 9, abstractSyntax: '1.2.826.0.1.3680043.99.1', transferSyntaxes: [IMPLICIT_LE] }, // private SOP class
      { id: 11, abstractSyntax: CT_STORAGE, transferSyntaxes: ['1.2.826.0.1.3680043.99.2'] }, // private transfer syntax only
    ]);
    expect(r.accepted).toBe(true);
    if (!r.accepted) return;
    expect(Object.fromEntries([...r.contexts].map(([id, c]) => [id, c.result === 0 ? c.transferSyntax : c.result]))).toEqual({
      1: IMPLICIT_LE,
      3: '1.2.840.10008.1.2.4.90',
      5: EXPLICIT_LE,
      7: 3, // abstract syntax not supported
      9: 3,
      11: 4, // transfer syntaxes not supported
    });
    expect(await scu.echo(1)).toEqual({ status: 0 });
    await scu.release();
  });
});

describe('DIMSE SCP: C-STORE', () => {
  it('stores every valid sample file sent by dcmsend (all transfer syntaxes, multi-frame, SR, charsets)', async () => {
    const files = walk(REAL).filter((f) => f.endsWith('.dcm') && !f.startsWith(ODD + path.sep));
    expect(files.length).toBeGreaterThanOrEqual(25);
    const before = ingests.length;
    const r = await dcmsend(files);
    expect(r.code, r.out).toBe(0);
    expect(Object.fromEntries(files.map((f) => [path.relative(REAL, f), r.statuses.get(f)]))).toEqual(
      Object.fromEntries(files.map((f) => [path.relative(REAL, f), '0x0000'])),
    );

    // Rows in the index: one per distinct SOP Instance UID (the samples reuse some across transfer syntaxes).
    const manifest = fs.readFileSync(path.join(REAL, 'MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
    const sops = [...new Set(manifest.filter((c) => !c[0].startsWith('odd/')).map((c) => c[8]))];
    const rows = await t.prisma.instance.findMany({ where: { sopInstanceUid: { in: sops }, study: { hospitalId: modality.id } }, select: { sopInstanceUid: true } });
    expect(rows.map((row) => row.sopInstanceUid).sort()).toEqual([...sops].sort());

    // What the ingest core was given and answered, and the context it ran in.
    const mine = ingests.slice(before);
    expect(mine).toHaveLength(files.length);
    for (const call of mine) {
      expect(call.hospitalId).toBe(modality.id);
      expect(call.source).toEqual({ kind: 'DIMSE', callingAeTitle: 'MODALITY1' });
      expect(call.ctx).toMatchObject({ requestId: expect.stringMatching(/^dimse:[0-9a-f-]{36}$/), sourceIp: '127.0.0.1' });
      expect(call.ctx?.principal).toBeUndefined();
      expect(call.result.ok).toBe(true);
    }
    expect(mine.filter((c) => c.result.ok && c.result.duplicate)).toHaveLength(files.length - sops.length);
    expect(new Set(mine.map((c) => c.ctx?.requestId)).size).toBe(1); // one association
    expect(incomingFiles()).toEqual([]);
  });

  it('gives malformed files a per-instance failure status while the valid file of the same association is stored', async () => {
    const { studyUids, files } = await generate('dimse-odd', 1, 2);
    const odd = fs.readdirSync(ODD).map((f) => path.join(ODD, f)).sort();
    const r = await dcmsend([files[0][0], ...odd, files[0][1]]);
    // The valid instances were stored...
    expect(r.statuses.get(files[0][0])).toBe('0x0000');
    expect(r.statuses.get(files[0][1])).toBe('0x0000');
    expect(await instancesOfStudy(modality.id, studyUids[0])).toBe(2);
    // ...every odd file that dcmsend could load reached us and got a failure status (the others
    // dcmsend refuses to send at all: no file meta, unreadable or truncated data).
    const sent = odd.filter((f) => /^0x/.test(r.statuses.get(f) ?? ''));
    expect(sent.map((f) => path.basename(f))).toContain('bad_vr.dcm');
    for (const f of sent) expect(['0xA900', '0xC000']).toContain(r.statuses.get(f)!.toUpperCase().replace('0X', '0x'));
    for (const f of odd.filter((f) => !sent.includes(f))) expect([undefined, '<not']).toContain(r.statuses.get(f));
    expect(await t.prisma.instance.count({ where: { sopInstanceUid: { in: ['1.9.999.999.99.9.9999.9999.20030818153516', '1.2.999.999.99.9.9999.9999.20030818153516'] } } })).toBe(0);
    expect(incomingFiles()).toEqual([]);
    // The SCP keeps serving.
    expect((await echoscu('MODALITY1')).code).toBe(0);
  });

  it('answers each malformed data set sent as-is with its own failure status, and keeps the association', async () => {
    // dcmtk refuses to load most odd files, so this sends their bytes exactly as they are.
    const { studyUids, files } = await generate('dimse-raw', 1, 1);
    const valid = datasetOf(fs.readFileSync(files[0][0]));
    const odd = fs.readdirSync(ODD).sort().map((name) => {
      const d = datasetOf(fs.readFileSync(path.join(ODD, name)));
      return {
        name,
        dataset: d.dataset,
        // Meta without a transfer syntax: the default one; no meta at all: the body reads as explicit VR.
        transferSyntax: d.transferSyntax ?? (d.hasMeta ? IMPLICIT_LE : EXPLICIT_LE),
        sopClassUid: d.sopClassUid ?? CT_STORAGE,
        sopInstanceUid: d.sopInstanceUid ?? `2.25.${1000 + name.length}`,
      };
    });
    const contexts = [
      { id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] },
      { id: 3, abstractSyntax: valid.sopClassUid!, transferSyntaxes: [valid.transferSyntax!] },
      ...odd.map((o, i) => ({ id: 5 + 2 * i, abstractSyntax: o.sopClassUid, transferSyntaxes: [o.transferSyntax] })),
    ];
    const before = await t.prisma.instance.count();
    const scu = await RawScu.connect(port);
    const assoc = await scu.associate('MODALITY1', AET, contexts);
    expect(assoc.accepted).toBe(true);
    const statuses: Record<string, number> = {};
    for (const [i, o] of odd.entries()) {
      const r = await scu.store(5 + 2 * i, o.sopClassUid, o.sopInstanceUid, o.dataset);
      statuses[o.name] = r.status;
      expect(r.errorComment, o.name).toBeTruthy();
      expect(r.errorComment!.length).toBeLessThanOrEqual(64);
      if (i === 1) expect(await scu.store(3, valid.sopClassUid!, valid.sopInstanceUid!, valid.dataset)).toEqual({ status: 0 });
    }
    expect(statuses).toEqual({
      'bad_vr.dcm': expect.toBeOneOf([0xa900, 0xc000]),
      'j2k_pixeldata_too_short.dcm': 0xc000,
      'meta_missing_tsuid.dcm': expect.toBeOneOf([0xa900, 0xc000]),
      'no_file_meta.dcm': expect.toBeOneOf([0xa900, 0xc000]),
      'truncated_pixeldata.dcm': 0xc000,
    });
    expect(await scu.echo(1)).toEqual({ status: 0 });
    await scu.release();
    expect(await t.prisma.instance.count()).toBe(before + 1);
    expect(await instancesOfStudy(modality.id, studyUids[0])).toBe(1);
    expect(incomingFiles()).toEqual([]);
  });

  it('leaves no temp file behind when the client resets or aborts in the middle of a data set', async () => {
    const big = datasetOf(fs.readFileSync(path.join(REAL, 'cr_2140x1760_explicit_le.dcm')));
    for (const end of ['reset', 'abort'] as const) {
      const scu = await RawScu.connect(port);
      const assoc = await scu.associate('MODALITY1', AET, [{ id: 1, abstractSyntax: big.sopClassUid!, transferSyntaxes: [big.transferSyntax!] }]);
      expect(assoc.accepted).toBe(true);
      scu.sendStore(1, big.sopClassUid!, `2.25.99${end === 'reset' ? 1 : 2}`, big.dataset, { stopAfter: 2_000_000 });
      await waitFor(() => incomingFiles().length === 1);
      if (end === 'reset') scu.destroy();
      else scu.abort();
      await scu.closed;
      await waitFor(() => incomingFiles().length === 0);
    }
    expect(await t.prisma.instance.count({ where: { sopInstanceUid: { in: ['2.25.991', '2.25.992'] } } })).toBe(0);
    expect((await echoscu('MODALITY1')).code).toBe(0);
  });

  it('serves several associations at once', async () => {
    const { studyUids, files } = await generate('dimse-concurrent', 4, 6);
    const results = await Promise.all(files.map((f) => dcmsend(f)));
    for (const [i, r] of results.entries()) {
      expect(r.code, r.out).toBe(0);
      expect([...r.statuses.values()]).toEqual(files[i].map(() => '0x0000'));
      expect(await instancesOfStudy(modality.id, studyUids[i])).toBe(6);
    }
    expect(incomingFiles()).toEqual([]);
  });
});

describe('DIMSE SCP: lifecycle', () => {
  it('on shutdown stops listening and cuts open associations, leaving no temp file', async () => {
    const storage = path.join(work, 'store-2');
    const t2 = await startApp(db.url, { DICOM_PORT: '0', DICOM_AET: AET, STORAGE_DIR: storage });
    const service = t2.app.get(DimseService);
    const port2 = service.port!;
    const incoming2 = path.join(storage, '.incoming');
    const big = datasetOf(fs.readFileSync(path.join(REAL, 'cr_2140x1760_explicit_le.dcm')));
    const scu = await RawScu.connect(port2);
    expect((await scu.associate('MODALITY1', AET, [{ id: 1, abstractSyntax: big.sopClassUid!, transferSyntaxes: [big.transferSyntax!] }])).accepted).toBe(true);
    scu.sendStore(1, big.sopClassUid!, '2.25.993', big.dataset, { stopAfter: 1_000_000 });
    await waitFor(() => fs.existsSync(incoming2) && fs.readdirSync(incoming2).length === 1);

    await t2.close();
    await scu.closed;
    expect(service.port).toBeUndefined();
    expect(fs.readdirSync(incoming2)).toEqual([]);
    await expect(RawScu.connect(port2)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('DIMSE SCP: a real Orthanc archive pushes with C-STORE', () => {
  const state = () => path.join(work, 'orthanc');
  let orthanc: string;
  let archiveEnv: Record<string, string>;

  beforeAll(async () => {
    const base = await freeBasePort();
    archiveEnv = { ARCHIVE_STATE_DIR: state(), ARCHIVE_PLATFORM_DICOM: `${AET}@127.0.0.1:${port}`, ARCHIVE_STABLE_AGE: '1' };
    const up = await run(path.join(PEERS, 'archive.sh'), ['up', '1', String(base)], archiveEnv, 60_000);
    expect(up.code, up.out).toBe(0);
    orthanc = `http://127.0.0.1:${base + 1}`;
  }, 60_000);

  afterAll(async () => {
    if (archiveEnv) await run(path.join(PEERS, 'archive.sh'), ['down', '--purge'], archiveEnv, 30_000);
  }, 30_000);

  it('POST /modalities/platform/store of a study → every instance stored for the archive hospital', async () => {
    const { studyUids, files } = await generate('dimse-orthanc', 1, 5);
    let studyId = '';
    for (const f of files[0]) {
      const res = await fetch(`${orthanc}/instances`, { method: 'POST', body: fs.readFileSync(f), headers: { 'content-type': 'application/dicom' } });
      expect(res.status).toBe(200);
      studyId = ((await res.json()) as { ParentStudy: string }).ParentStudy;
    }
    const before = ingests.length;
    const res = await fetch(`${orthanc}/modalities/platform/store`, {
      method: 'POST',
      body: JSON.stringify({ Resources: [studyId], Synchronous: true }),
    });
    const body = (await res.json()) as { InstancesCount?: number; FailedInstancesCount?: number };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ InstancesCount: 5, FailedInstancesCount: 0 });
    expect(await instancesOfStudy(archiveHospital.id, studyUids[0])).toBe(5);
    const mine = ingests.slice(before);
    expect(mine).toHaveLength(5);
    for (const call of mine) {
      expect(call).toMatchObject({ hospitalId: archiveHospital.id, source: { kind: 'DIMSE', callingAeTitle: 'HOSP1' }, result: { ok: true, duplicate: false } });
    }
    expect(incomingFiles()).toEqual([]);
  });
});

/** A BASEPORT for archive.sh whose HTTP (BASEPORT+1) and DICOM (BASEPORT+101) ports are free now. */
async function freeBasePort(): Promise<number> {
  const free = (p: number) =>
    new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(p, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    if ((await free(base + 1)) && (await free(base + 101))) return base;
  }
  throw new Error('no free port pair for Orthanc');
}
