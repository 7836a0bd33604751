import argon2 from 'argon2';
import dcmjs from 'dcmjs';
import type { Hospital, PrismaClient } from '../generated/prisma/client.js';
import type { Priority, Subspecialty } from '../generated/prisma/enums.js';
import { ensureDefaultRules } from '../routing/default-rules.js';
import { classify, compileRules, studyFacts } from '../routing/routing-engine.js';
import type { ImageStore } from '../storage/image-store.js';
import { instanceKey } from '../storage/image-store.js';
import { slaMinutes } from '../worklist/sla.js';
import { buildDemoStudy, type DemoStudySpec } from './demo-dicom.js';
import { DEMO_HOSPITALS, DEMO_PASSWORD, DEMO_USERS, type DemoHospitalKey } from './demo-network.js';

export const DEMO_NETWORK_NAME = 'Teleread Demo Network';

interface Template {
  modality: DemoStudySpec['modality'];
  bodyPart: string;
  description: string;
  /** What the default routing rules decide for it (the demo orders request no subspecialty). */
  subspecialty: Subspecialty;
  indication: string;
  series: DemoStudySpec['series'];
  /** Pediatric exams get a child's birth date. */
  child?: boolean;
}

/** A night's mix of teleradiology work: strokes and PEs, trauma films, routine follow-ups. */
export const TEMPLATES: Template[] = [
  { modality: 'CT', bodyPart: 'HEAD', description: 'CT HEAD WITHOUT CONTRAST', subspecialty: 'NEURO', indication: 'Sudden left-sided weakness and slurred speech, last known well 45 minutes ago', series: [{ description: 'AXIAL 5MM BRAIN', instances: 12 }] },
  { modality: 'CT', bodyPart: 'CHEST', description: 'CTA CHEST PE PROTOCOL', subspecialty: 'CHEST', indication: 'Pleuritic chest pain, HR 118, D-dimer elevated; rule out pulmonary embolism', series: [{ description: 'AXIAL 2MM ANGIO', instances: 16 }] },
  { modality: 'CT', bodyPart: 'ABDOMEN', description: 'CT ABDOMEN PELVIS WITH CONTRAST', subspecialty: 'BODY', indication: 'Right lower quadrant pain, fever 38.6, WBC 15; rule out appendicitis', series: [{ description: 'AXIAL PORTAL VENOUS', instances: 16 }] },
  { modality: 'MR', bodyPart: 'BRAIN', description: 'MRI BRAIN WITH AND WITHOUT CONTRAST', subspecialty: 'NEURO', indication: 'Known left frontal glioma, post-resection follow-up', series: [{ description: 'AX T2 FLAIR', instances: 10 }, { description: 'AX T1 POST', instances: 10 }] },
  { modality: 'MR', bodyPart: 'KNEE', description: 'MRI KNEE WITHOUT CONTRAST', subspecialty: 'MSK', indication: 'Twisting injury playing soccer, locking and effusion', series: [{ description: 'COR PD FS', instances: 8 }, { description: 'SAG PD', instances: 8 }] },
  { modality: 'CR', bodyPart: 'CHEST', description: 'XR CHEST 2 VIEWS', subspecialty: 'GENERAL', indication: 'Productive cough and fever for three days', series: [{ description: 'PA', instances: 1 }, { description: 'LATERAL', instances: 1 }] },
  { modality: 'DX', bodyPart: 'WRIST', description: 'XR WRIST 3 VIEWS', subspecialty: 'PEDIATRIC', indication: 'Fall on outstretched hand, snuffbox tenderness', series: [{ description: 'WRIST', instances: 3 }], child: true },
  { modality: 'US', bodyPart: 'ABDOMEN', description: 'US ABDOMEN RIGHT UPPER QUADRANT', subspecialty: 'GENERAL', indication: 'Postprandial RUQ pain, Murphy sign positive', series: [{ description: 'RUQ', instances: 6 }] },
  { modality: 'MG', bodyPart: 'BREAST', description: 'MAMMOGRAM DIAGNOSTIC BILATERAL', subspecialty: 'BREAST', indication: 'Palpable lump left breast upper outer quadrant', series: [{ description: 'L CC', instances: 1 }, { description: 'L MLO', instances: 1 }] },
  { modality: 'NM', bodyPart: 'WHOLEBODY', description: 'NM BONE SCAN WHOLE BODY', subspecialty: 'NUCLEAR', indication: 'Prostate cancer, rising PSA; staging', series: [{ description: 'ANTERIOR POSTERIOR', instances: 2 }] },
  { modality: 'CT', bodyPart: 'HEART', description: 'CTA CORONARY ARTERIES', subspecialty: 'CARDIAC', indication: 'Atypical chest pain, intermediate pretest probability', series: [{ description: 'CARDIAC 75%', instances: 12 }] },
  { modality: 'CT', bodyPart: 'CSPINE', description: 'CT CERVICAL SPINE WITHOUT CONTRAST', subspecialty: 'NEURO', indication: 'Motor vehicle collision, midline neck tenderness', series: [{ description: 'AXIAL BONE', instances: 12 }] },
];

const FAMILY = ['GARCIA', 'SMITH', 'NGUYEN', 'JOHNSON', 'PATEL', 'MULLER', 'KOWALSKI', 'OKAFOR', 'TANAKA', 'ROSSI', 'DUBOIS', 'HANSEN', 'SILVA', 'COHEN', 'MURPHY', 'IVANOV', 'ANDERSSON', 'KIM', 'LOPEZ', "O'BRIEN"];
const GIVEN = ['MARIA', 'JAMES', 'LINH', 'ROBERT', 'ANJALI', 'KLAUS', 'ANNA', 'CHIDI', 'YUKI', 'GIULIA', 'ELODIE', 'ERIK', 'JOAO', 'DAVID', 'SIOBHAN', 'OLGA', 'LARS', 'MINJI', 'CARLOS', 'AOIFE'];

/** Small deterministic PRNG (mulberry32) so every demo looks the same. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const dicomDate = (d: Date) => `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
const dicomTime = (d: Date) => `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;

/** DICOM JSON of a Part-10 file without bulk pixel data (WADO-RS serves frames separately). */
function dicomJsonOf(part10: Buffer): Record<string, unknown> {
  const ab = part10.buffer.slice(part10.byteOffset, part10.byteOffset + part10.byteLength) as ArrayBuffer;
  const { dict } = dcmjs.data.DicomMessage.readFile(ab);
  delete dict['7FE00010'];
  return dict as Record<string, unknown>;
}

const STUDY_TAGS = ['00080005', '00080020', '00080030', '00080050', '00080090', '00081030', '00100010', '00100020', '00100021', '00100030', '00100040', '0020000D', '00200010'];

export interface SeedOptions {
  studies?: number;
  /** DICOMweb base URLs of running demo archives, by hospital key. */
  archives?: Partial<Record<DemoHospitalKey, string>>;
  now?: Date;
  log?: (line: string) => void;
}

/**
 * Creates the demo network: 3 hospitals in 3 jurisdictions, radiologists with
 * different licenses/privileges/subspecialties, staff, a specialist, an admin,
 * and ~50 studies with real DICOM files in the image store and open worklist
 * items. Does nothing if the demo network exists already.
 */
export async function seedDemo(prisma: PrismaClient, store: ImageStore, opts: SeedOptions = {}) {
  const log = opts.log ?? (() => undefined);
  const now = opts.now ?? new Date();
  if (await prisma.network.findFirst({ where: { name: DEMO_NETWORK_NAME } })) {
    log('demo network already present: nothing to do');
    return { created: false };
  }
  const rand = prng(20261123);
  const passwordHash = await argon2.hash(DEMO_PASSWORD, { type: argon2.argon2id });
  const network = await prisma.network.create({ data: { name: DEMO_NETWORK_NAME } });
  // Routed like live studies: the network's default rules, through the same engine as intake.
  await ensureDefaultRules(prisma, network.id);
  const routingRules = compileRules(await prisma.routingRule.findMany({ where: { networkId: network.id } }));

  const hospitals = new Map<DemoHospitalKey, Hospital>();
  for (const h of DEMO_HOSPITALS) {
    const row = await prisma.hospital.create({
      data: {
        networkId: network.id,
        name: h.name,
        jurisdiction: h.jurisdiction,
        timezone: h.timezone,
        slaStatMinutes: h.sla[0],
        slaUrgentMinutes: h.sla[1],
        slaRoutineMinutes: h.sla[2],
        aeTitles: { create: h.aeTitles.map((aeTitle) => ({ aeTitle })) },
      },
    });
    hospitals.set(h.key, row);
    const archiveUrl = opts.archives?.[h.key];
    if (archiveUrl) await prisma.archive.create({ data: { hospitalId: row.id, name: `${h.name} PACS`, dicomwebUrl: archiveUrl } });
  }

  const inAYear = new Date(now.getTime() + 365 * 86_400_000);
  for (const u of DEMO_USERS) {
    const user = await prisma.user.create({
      data: {
        networkId: network.id,
        email: u.email,
        displayName: u.displayName,
        passwordHash,
        role: u.role,
        hospitalId: u.hospital ? hospitals.get(u.hospital)!.id : null,
        subspecialties: (u.subspecialties ?? []) as Subspecialty[],
        licenses: u.licenses ? { create: u.licenses.map((jurisdiction) => ({ jurisdiction, expiresAt: inAYear })) } : undefined,
        privileges: u.privileges ? { create: u.privileges.map((k) => ({ hospitalId: hospitals.get(k)!.id, expiresAt: inAYear })) } : undefined,
      },
    });
    if (u.role === 'RADIOLOGIST') {
      // Tonight's shift: started two hours ago, ten hours to go.
      await prisma.shift.create({ data: { userId: user.id, startsAt: new Date(now.getTime() - 2 * 3600_000), endsAt: new Date(now.getTime() + 10 * 3600_000) } });
    }
  }

  const keys = DEMO_HOSPITALS.map((h) => h.key);
  const count = opts.studies ?? 48;
  let instances = 0;
  for (let i = 0; i < count; i++) {
    const t = TEMPLATES[i % TEMPLATES.length];
    // Rotate so every hospital gets every kind of study.
    const hospitalKey = keys[(i + Math.floor(i / TEMPLATES.length)) % keys.length];
    const hospital = hospitals.get(hospitalKey)!;
    // 15 patients per hospital, so several have earlier studies (priors).
    const p = Math.floor(rand() * 15);
    const mrn = `${hospitalKey.slice(0, 2).toUpperCase()}${pad(100000 + p * 7919, 6)}`;
    const age = t.child ? 6 + (p % 10) : 25 + ((p * 7) % 60);
    const roll = rand();
    const priority: Priority = t.subspecialty === 'NEURO' && t.modality === 'CT' ? 'STAT' : roll < 0.15 ? 'STAT' : roll < 0.45 ? 'URGENT' : 'ROUTINE';
    const sla = slaMinutes(hospital, priority);
    // Received between just now and a little past due, so the clocks show every colour.
    const receivedAt = new Date(now.getTime() - rand() * sla * 1.05 * 60_000);
    const accessionNumber = `${hospitalKey.slice(0, 3).toUpperCase()}${pad(26000 + i, 6)}`;
    const spec: DemoStudySpec = {
      seed: 1000 + i,
      patient: {
        mrn,
        name: `${FAMILY[(p + keys.indexOf(hospitalKey) * 5) % FAMILY.length]}^${GIVEN[(p * 3 + keys.indexOf(hospitalKey)) % GIVEN.length]}`,
        birthDate: `${now.getUTCFullYear() - age}${pad(1 + (p % 12))}${pad(1 + ((p * 5) % 28))}`,
        sex: p % 2 ? 'F' : 'M',
        issuer: DEMO_HOSPITALS.find((h) => h.key === hospitalKey)!.aeTitles[0],
      },
      accessionNumber,
      studyDate: dicomDate(receivedAt),
      studyTime: dicomTime(receivedAt),
      modality: t.modality,
      bodyPart: t.bodyPart,
      description: t.description,
      institutionName: hospital.name,
      referringPhysician: 'EMERGENCY^DEPARTMENT',
      series: t.series,
    };
    const built = buildDemoStudy(spec);
    const patient = await prisma.patient.upsert({
      where: { hospitalId_issuer_mrn: { hospitalId: hospital.id, issuer: spec.patient.issuer, mrn } },
      create: { hospitalId: hospital.id, mrn, issuer: spec.patient.issuer, name: spec.patient.name, birthDate: spec.patient.birthDate, sex: spec.patient.sex },
      update: {},
    });
    const firstJson = dicomJsonOf(built.instances[0].part10);
    const studyJson = Object.fromEntries(STUDY_TAGS.filter((tag) => tag in firstJson).map((tag) => [tag, firstJson[tag]]));
    const study = await prisma.study.create({
      data: {
        hospitalId: hospital.id,
        patientId: patient.id,
        studyInstanceUid: built.studyInstanceUid,
        accessionNumber,
        studyDate: spec.studyDate,
        studyTime: spec.studyTime,
        description: t.description,
        modalities: [t.modality],
        bodyPart: t.bodyPart,
        referringPhysician: spec.referringPhysician,
        institutionName: hospital.name,
        numSeries: t.series.length,
        numInstances: built.instances.length,
        status: 'COMPLETE',
        dicomJson: studyJson as object,
        receivedAt,
        lastInstanceAt: receivedAt,
        completedAt: receivedAt,
      },
    });
    const seriesIds = new Map<string, string>();
    const seriesUids = [...new Set(built.instances.map((x) => x.seriesInstanceUid))];
    for (const [n, s] of t.series.entries()) {
      const uid = seriesUids[n];
      const row = await prisma.series.create({
        data: { studyId: study.id, seriesInstanceUid: uid, modality: t.modality, seriesNumber: n + 1, description: s.description, bodyPart: t.bodyPart, numInstances: s.instances },
      });
      seriesIds.set(uid, row.id);
    }
    for (const [n, inst] of built.instances.entries()) {
      const key = instanceKey(hospital.id, built.studyInstanceUid, inst.seriesInstanceUid, inst.sopInstanceUid);
      const stored = await store.put(key, inst.part10);
      const json = dicomJsonOf(inst.part10);
      await prisma.instance.create({
        data: {
          studyId: study.id,
          seriesId: seriesIds.get(inst.seriesInstanceUid)!,
          sopInstanceUid: inst.sopInstanceUid,
          sopClassUid: inst.sopClassUid,
          instanceNumber: n + 1,
          transferSyntaxUid: '1.2.840.10008.1.2.1',
          rows: (json['00280010'] as { Value?: number[] })?.Value?.[0] ?? null,
          columns: (json['00280011'] as { Value?: number[] })?.Value?.[0] ?? null,
          storageKey: key,
          sizeBytes: BigInt(stored.sizeBytes),
          sha256: stored.sha256,
          dicomJson: json as object,
        },
      });
      instances++;
    }
    const order = await prisma.order.create({
      data: {
        hospitalId: hospital.id,
        accessionNumber,
        studyInstanceUid: built.studyInstanceUid,
        priority,
        indication: t.indication,
        studyId: study.id,
        createdAt: receivedAt,
      },
    });
    const route = classify(routingRules, studyFacts({ ...study, patient }, null));
    await prisma.worklistItem.create({
      data: {
        hospitalId: hospital.id,
        studyId: study.id,
        orderId: order.id,
        priority,
        subspecialty: route.subspecialty,
        routingReason: route.reason,
        receivedAt,
        dueAt: new Date(receivedAt.getTime() + sla * 60_000),
      },
    });
  }
  log(`demo network: ${hospitals.size} hospitals, ${DEMO_USERS.length} users, ${count} studies, ${instances} instances`);
  return { created: true, studies: count, instances };
}
