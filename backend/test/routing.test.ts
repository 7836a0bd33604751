import { randomBytes } from 'node:crypto';
import dcmjs from 'dcmjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BootstrapService } from '../src/bootstrap.service.js';
import { ensureDefaultRules, defaultRules } from '../src/routing/default-rules.js';
import { buildDemoStudy, type DemoStudySpec } from '../src/seed/demo-dicom.js';
import { client, createTestDatabase, startApp, waitFor, type TestApp } from './harness.js';
import { seedWorld, type World } from './fixtures.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestApp;
let world: World;
let api: ReturnType<typeof client>;
let admin: string;
let otherAdmin: string;
let staff: string;
let radiologist: string;

const DEFAULT_COUNT = defaultRules().length;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await startApp(db.url, { STUDY_STABLE_SECONDS: '1' });
  world = await seedWorld(t.prisma);
  api = client(t.baseUrl);
  // A second network with its own admin: its rules are not ours and ours are not its.
  const other = await t.prisma.network.create({ data: { name: 'Other network' } });
  await t.prisma.user.create({
    data: { email: 'admin@other.example', displayName: 'Other admin', passwordHash: world.users.admin.passwordHash, role: 'ADMIN', networkId: other.id },
  });
  [admin, otherAdmin, staff, radiologist] = await Promise.all(
    ['admin@test.example', 'admin@other.example', 'staff.a@test.example', 'rad.a@test.example'].map(async (e) => (await api.login(e)).accessToken),
  );
});
afterAll(async () => {
  await t?.close();
  await db?.drop();
});

const call = (method: string, path: string, body?: unknown, token = admin) => api.call(method, `/api/routing-rules${path}`, { token, body });
const testStudy = (study: Record<string, unknown>, token = admin) => call('POST', '/test', study, token);
const rules = async (token = admin) => (await call('GET', '', undefined, token)).body as { id: string; rank: number; name: string; subspecialty: string; enabled: boolean }[];

/** Sends a generated study over STOW-RS as hospital A's staff and waits for its worklist item. */
async function stowStudy(spec: Pick<DemoStudySpec, 'modality' | 'bodyPart' | 'description'>, procedureCode?: { value: string; scheme: string; meaning: string }) {
  const n = randomBytes(3).readUIntBE(0, 3);
  const built = buildDemoStudy({
    seed: n,
    patient: { mrn: `R${n}`, name: 'ROUTING^TEST', birthDate: '19600101', sex: 'F', issuer: 'ALPHA' },
    accessionNumber: `RT${n}`,
    studyDate: '20261123',
    studyTime: '120000',
    institutionName: 'Alpha General',
    series: [{ description: 'S1', instances: 1, rows: 16, columns: 16 }],
    ...spec,
  });
  const files = built.instances.map((i) => (procedureCode ? withProcedureCode(i.part10, procedureCode) : i.part10));
  const boundary = `b${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const f of files) chunks.push(Buffer.from(`\r\n--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), f);
  chunks.push(Buffer.from(`\r\n--${boundary}--\r\n`));
  const res = await fetch(`${t.baseUrl}/dicomweb/studies`, {
    method: 'POST',
    headers: { authorization: `Bearer ${staff}`, 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`, accept: 'application/dicom+json' },
    body: Buffer.concat(chunks),
  });
  expect(res.status).toBe(200);
  return waitFor('the study on the worklist', () => t.prisma.worklistItem.findFirst({ where: { study: { studyInstanceUid: built.studyInstanceUid } } }));
}

/** Adds a Procedure Code Sequence (0008,1032) item to a Part-10 file. */
function withProcedureCode(part10: Buffer, code: { value: string; scheme: string; meaning: string }): Buffer {
  const file = dcmjs.data.DicomMessage.readFile(part10.buffer.slice(part10.byteOffset, part10.byteOffset + part10.byteLength) as ArrayBuffer);
  file.dict['00081032'] = {
    vr: 'SQ',
    Value: [{ '00080100': { vr: 'SH', Value: [code.value] }, '00080102': { vr: 'SH', Value: [code.scheme] }, '00080104': { vr: 'LO', Value: [code.meaning] } }],
  };
  return Buffer.from(file.write());
}

describe('default rules', () => {
  it('a network without rules gets the defaults, in rank order', async () => {
    const list = await rules();
    expect(list).toHaveLength(DEFAULT_COUNT);
    expect(list.map((r) => r.rank)).toEqual(list.map((_, i) => i + 1));
    expect(list[0]).toMatchObject({ name: 'Pediatric patients', subspecialty: 'PEDIATRIC', enabled: true });
    expect(list[0]).not.toHaveProperty('networkId');
  });

  const matrix: [string, Record<string, unknown>, string, RegExp][] = [
    ['CT head', { modalities: ['CT'], bodyPart: 'HEAD', description: 'CT HEAD WITHOUT CONTRAST', patientAgeYears: 70 }, 'NEURO', /^rule 'CT\/MR head and neck' \(#\d+\): modality CT, description ~ HEAD$/],
    ['MR L-spine', { modalities: ['MR'], bodyPart: 'LSPINE', description: 'MRI LUMBAR SPINE WO' }, 'NEURO', /^rule 'CT\/MR spine' \(#\d+\): modality MR, description ~ LUMBAR$/],
    ['CT chest', { modalities: ['CT'], bodyPart: 'CHEST', description: 'CT CHEST WITH CONTRAST' }, 'CHEST', /^rule 'CT chest' \(#\d+\): modality CT, description ~ CHEST$/],
    ['CTA PE', { modalities: ['CT'], description: 'CTA PE PROTOCOL' }, 'CHEST', /^rule 'CT chest' \(#\d+\): modality CT, description ~ PE$/],
    ['CT abdomen pelvis', { modalities: ['CT'], description: 'CT ABDOMEN PELVIS W CONTRAST' }, 'BODY', /^rule 'CT\/MR abdomen and pelvis' \(#\d+\): modality CT, description ~ ABDOMEN$/],
    ['MR knee', { modalities: ['MR'], bodyPart: 'KNEE', description: 'MRI KNEE RIGHT' }, 'MSK', /^rule 'Musculoskeletal' \(#\d+\): description ~ KNEE$/],
    ['XR wrist', { modalities: ['DX'], description: 'XR WRIST 3 VIEWS' }, 'MSK', /^rule 'Musculoskeletal' \(#\d+\): description ~ WRIST$/],
    ['MG screening', { modalities: ['MG'], description: 'MG SCREENING BILATERAL' }, 'BREAST', /^rule 'Mammography' \(#2\): modality MG$/],
    ['NM bone scan', { modalities: ['NM'], description: 'NM BONE SCAN WHOLE BODY' }, 'NUCLEAR', /^rule 'Nuclear medicine and PET' \(#\d+\): modality NM$/],
    ['PET/CT', { modalities: ['PT', 'CT'], description: 'PET CT SKULL BASE TO THIGH' }, 'NUCLEAR', /^rule 'Nuclear medicine and PET' \(#\d+\): modality PT$/],
    ['cardiac MR', { modalities: ['MR'], bodyPart: 'HEART', description: 'MRI CARDIAC FUNCTION' }, 'CARDIAC', /^rule 'Cardiac CT and MR' \(#\d+\): modality MR, description ~ CARDIAC$/],
    ['coronary CTA', { modalities: ['CT'], description: 'CTA CORONARY ARTERIES' }, 'CARDIAC', /^rule 'Cardiac CT and MR' \(#\d+\): modality CT, description ~ CORONARY$/],
    [
      '8-year-old CT head',
      { modalities: ['CT'], description: 'CT HEAD WITHOUT CONTRAST', birthDate: '2018-03-01', studyDate: '20261123' },
      'PEDIATRIC',
      /^rule 'Pediatric patients' \(#1\): patient aged 8 \(≤ 17\)$/,
    ],
    ['order requesting MSK on a CT head', { modalities: ['CT'], description: 'CT HEAD', requestedSubspecialty: 'msk' }, 'MSK', /^order requested msk$/],
    ['unknown', { modalities: ['OT'], description: 'OUTSIDE FILMS' }, 'GENERAL', /^no rule matched: general read$/],
  ];
  it.each(matrix)('%s', async (_, study, subspecialty, reason) => {
    const r = await testStudy(study);
    expect(r.status).toBe(200);
    expect(r.body.subspecialty).toBe(subspecialty);
    expect(r.body.reason).toMatch(reason);
    expect(r.body.ruleId === null).toBe(subspecialty === 'GENERAL' || 'requestedSubspecialty' in study);
  });

  it('names the rule that matched by id', async () => {
    const list = await rules();
    const r = await testStudy({ modalities: ['MG'] });
    expect(r.body.ruleId).toBe(list.find((x) => x.name === 'Mammography')!.id);
  });

  it('ensuring defaults is idempotent: at boot for every network, and under concurrency', async () => {
    const fresh = await t.prisma.network.create({ data: { name: 'Fresh network' } });
    await t.app.get(BootstrapService).onApplicationBootstrap();
    expect(await t.prisma.routingRule.count({ where: { networkId: fresh.id } })).toBe(DEFAULT_COUNT);
    await t.app.get(BootstrapService).onApplicationBootstrap();
    const racing = await t.prisma.network.create({ data: { name: 'Racing network' } });
    const created = await Promise.all(Array.from({ length: 5 }, () => ensureDefaultRules(t.prisma, racing.id)));
    expect(created.filter(Boolean)).toHaveLength(1);
    expect(await t.prisma.routingRule.count({ where: { networkId: { in: [fresh.id, racing.id] } } })).toBe(2 * DEFAULT_COUNT);
  });
});

describe('editing rules', () => {
  it('admin edits take effect for the next study through intake', async () => {
    const sinus = { modality: 'CT', bodyPart: 'SINUS', description: 'CT SINUS WITHOUT CONTRAST' } as const;
    const before = await stowStudy(sinus);
    expect(before).toMatchObject({ subspecialty: 'NEURO', routingReason: expect.stringMatching(/^rule 'CT\/MR head and neck' \(#\d+\): modality CT, description ~ SINUS$/) });

    const created = await call('POST', '', { name: 'Sinus CT to ENT-trained general readers', subspecialty: 'general', modalities: ['ct'], descriptionPattern: 'SINUS', rank: 2 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ rank: 2, subspecialty: 'GENERAL', modalities: ['CT'], bodyPartPattern: null, enabled: true });
    const list = await rules();
    expect(list).toHaveLength(DEFAULT_COUNT + 1);
    expect(list.map((r) => r.rank)).toEqual(list.map((_, i) => i + 1));
    expect(list[1].id).toBe(created.body.id);
    expect(list[2].name).toBe('Mammography'); // moved down to make room

    const tested = await testStudy({ modalities: ['CT'], description: 'CT SINUS' });
    expect(tested.body).toEqual({ subspecialty: 'GENERAL', reason: "rule 'Sinus CT to ENT-trained general readers' (#2): modality CT, description ~ SINUS", ruleId: created.body.id });
    const after = await stowStudy(sinus);
    expect(after).toMatchObject({ subspecialty: 'GENERAL', routingReason: "rule 'Sinus CT to ENT-trained general readers' (#2): modality CT, description ~ SINUS" });

    // Disabled, the rule is skipped again.
    const disabled = await call('PATCH', `/${created.body.id}`, { enabled: false });
    expect(disabled.status).toBe(200);
    expect((await testStudy({ modalities: ['CT'], description: 'CT SINUS' })).body.subspecialty).toBe('NEURO');

    const audit = await t.prisma.auditEvent.findMany({ where: { objectId: created.body.id }, orderBy: { at: 'asc' } });
    expect(audit.map((a) => a.action)).toEqual(['routing.rule.create', 'routing.rule.update']);
    expect(audit[1]).toMatchObject({ actorId: world.users.admin.id, detail: { before: { enabled: true }, after: { enabled: false } } });
  });

  it('routes on procedure codes carried by the images', async () => {
    const rule = await call('POST', '', { name: 'Prostate MR by code', subspecialty: 'BODY', procedureCodePattern: '^IMG4711$', rank: 1 });
    expect(rule.status).toBe(201);
    const item = await stowStudy({ modality: 'MR', bodyPart: 'KNEE', description: 'MR KNEE' }, { value: 'IMG4711', scheme: '99LOCAL', meaning: 'MR PROSTATE MULTIPARAMETRIC' });
    expect(item).toMatchObject({ subspecialty: 'BODY', routingReason: "rule 'Prostate MR by code' (#1): procedure code ~ IMG4711" });
    const byMeaning = await call('PATCH', `/${rule.body.id}`, { procedureCodePattern: 'PROSTATE' });
    expect(byMeaning.body.procedureCodePattern).toBe('PROSTATE');
    const tested = await testStudy({ procedureCodes: [{ value: 'X', meaning: 'mr prostate mp' }] });
    expect(tested.body.reason).toBe("rule 'Prostate MR by code' (#1): procedure code ~ prostate");
    expect((await call('DELETE', `/${rule.body.id}`)).status).toBe(204);
  });

  it('moves a rule up and down; ranks stay 1..n', async () => {
    const list = await rules();
    const mg = list.find((r) => r.name === 'Mammography')!;
    const up = await call('PATCH', `/${mg.id}`, { rank: mg.rank - 1 });
    expect(up.body.rank).toBe(mg.rank - 1);
    const last = await call('PATCH', `/${mg.id}`, { rank: 10_000 });
    expect(last.body.rank).toBe(list.length);
    const now = await rules();
    expect(now.map((r) => r.rank)).toEqual(now.map((_, i) => i + 1));
    expect(now.at(-1)!.id).toBe(mg.id);
  });

  it('reset-defaults restores the default set', async () => {
    const r = await call('POST', '/reset-defaults');
    expect(r.status).toBe(200);
    expect(r.body.map((x: { name: string }) => x.name)).toEqual(defaultRules().map((x) => x.name));
    expect((await testStudy({ modalities: ['CT'], description: 'CT SINUS' })).body.subspecialty).toBe('NEURO');
    expect(await t.prisma.auditEvent.count({ where: { action: 'routing.rules.reset' } })).toBe(1);
  });
});

describe('validation and access', () => {
  it('invalid regex, subspecialty, rank, ages and unknown fields are 400 naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'x', subspecialty: 'NEURO', descriptionPattern: '(HEAD' }, 'descriptionPattern'],
      [{ name: 'x', subspecialty: 'NEURO', bodyPartPattern: '[' }, 'bodyPartPattern'],
      [{ name: 'x', subspecialty: 'NEURO', procedureCodePattern: '*' }, 'procedureCodePattern'],
      [{ name: 'x', subspecialty: 'DENTAL' }, 'subspecialty'],
      [{ name: 'x', subspecialty: 'NEURO', rank: 0 }, 'rank'],
      [{ name: 'x', subspecialty: 'NEURO', rank: 1.5 }, 'rank'],
      [{ name: 'x', subspecialty: 'NEURO', modalities: ['C T!'] }, 'modalities'],
      [{ name: 'x', subspecialty: 'NEURO', minPatientAgeYears: 18, maxPatientAgeYears: 17 }, 'minPatientAgeYears'],
      [{ name: 'x', subspecialty: 'NEURO', colour: 'red' }, 'colour'],
      [{ subspecialty: 'NEURO' }, 'name'],
    ];
    for (const [body, field] of cases) {
      const r = await call('POST', '', body);
      expect([field, r.status]).toEqual([field, 400]);
      expect(JSON.stringify(r.body.message)).toContain(field);
    }
    const regex = await call('POST', '', { name: 'x', subspecialty: 'NEURO', descriptionPattern: '(HEAD' });
    expect(JSON.stringify(regex.body.message)).toMatch(/valid regular expression/);

    const rule = (await rules())[0];
    expect((await call('PATCH', `/${rule.id}`, { descriptionPattern: '(' })).status).toBe(400);
    expect((await call('PATCH', `/${rule.id}`, {})).status).toBe(400);
    // maxPatientAgeYears 17 is stored: a minimum above it is refused even when sent alone.
    const ages = await call('PATCH', `/${rule.id}`, { minPatientAgeYears: 30 });
    expect(ages.status).toBe(400);
    expect(JSON.stringify(ages.body.message)).toContain('minPatientAgeYears');
    expect((await testStudy({ patientAgeYears: 8, birthDate: '20180101' })).status).toBe(400);
    expect((await testStudy({ birthDate: 'yesterday' })).status).toBe(400);
    expect(await rules()).toHaveLength(DEFAULT_COUNT);
  });

  it('non-admins are refused', async () => {
    const id = (await rules())[0].id;
    for (const token of [staff, radiologist]) {
      expect((await call('GET', '', undefined, token)).status).toBe(403);
      expect((await call('POST', '', { name: 'x', subspecialty: 'NEURO' }, token)).status).toBe(403);
      expect((await call('PATCH', `/${id}`, { enabled: false }, token)).status).toBe(403);
      expect((await call('DELETE', `/${id}`, undefined, token)).status).toBe(403);
      expect((await testStudy({ modalities: ['CT'] }, token)).status).toBe(403);
      expect((await call('POST', '/reset-defaults', undefined, token)).status).toBe(403);
    }
    expect((await api.get('/api/routing-rules')).status).toBe(401);
  });

  it('is documented in the OpenAPI spec', async () => {
    const spec = (await (await fetch(`${t.baseUrl}/api/docs/json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(spec.paths['/api/routing-rules'])).toEqual(expect.arrayContaining(['get', 'post']));
    expect(Object.keys(spec.paths['/api/routing-rules/{id}'])).toEqual(expect.arrayContaining(['patch', 'delete']));
    expect(spec.paths['/api/routing-rules/test']).toHaveProperty('post');
    expect(spec.paths['/api/routing-rules/reset-defaults']).toHaveProperty('post');
  });

  it("another network's rule and unknown ids are 404; each network routes by its own rules", async () => {
    const ours = (await rules())[0];
    for (const [method, body] of [['PATCH', { enabled: false }], ['DELETE', undefined]] as const) {
      expect((await call(method, `/${ours.id}`, body, otherAdmin)).status).toBe(404);
      expect((await call(method, '/00000000-0000-4000-8000-000000000000', body)).status).toBe(404);
      expect((await call(method, '/not-a-uuid', body)).status).toBe(404);
    }
    expect((await rules())[0]).toMatchObject({ id: ours.id, enabled: true });
    const theirs = await rules(otherAdmin);
    expect(theirs).toHaveLength(DEFAULT_COUNT);
    expect(theirs.some((r) => r.id === ours.id)).toBe(false);
    // Their pediatric rule off: their 8-year-old CT head goes to neuro, ours still to pediatrics.
    await call('PATCH', `/${theirs[0].id}`, { enabled: false }, otherAdmin);
    const child = { modalities: ['CT'], description: 'CT HEAD', patientAgeYears: 8 };
    expect((await testStudy(child, otherAdmin)).body.subspecialty).toBe('NEURO');
    expect((await testStudy(child)).body.subspecialty).toBe('PEDIATRIC');
  });

  it('the last rule cannot be deleted (no rules would mean the defaults again)', async () => {
    const theirs = await rules(otherAdmin);
    for (const r of theirs.slice(1)) expect((await call('DELETE', `/${r.id}`, undefined, otherAdmin)).status).toBe(204);
    const last = await call('DELETE', `/${theirs[0].id}`, undefined, otherAdmin);
    expect(last.status).toBe(409);
    expect(last.body.message).toMatch(/Disable it instead/);
    expect(await rules(otherAdmin)).toMatchObject([{ id: theirs[0].id, rank: 1 }]);
  });
});
