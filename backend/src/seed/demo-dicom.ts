/**
 * Deterministic generator of realistic-looking demo DICOM studies (dcmjs, Part-10, Explicit VR LE).
 *
 * Pixel data comes from one synthetic 3-D "patient" (a painter's-order list of ellipsoids and elliptic
 * cylinders in patient LPS millimetres: head, neck, chest, abdomen, pelvis, legs, both arms) that is
 * sampled for cross-sections (CT/MR/PT: axial, coronal or sagittal) and ray-summed for projections
 * (CR/DX/NM, CT localizers). Mammography and ultrasound use small dedicated 2-D models. Everything,
 * including every UID, is a pure function of the spec: same spec => byte-identical files.
 *
 * All instances carry SyntheticData (0008,001C) = YES.
 */
import { createHash } from 'node:crypto';
import dcmjs from 'dcmjs';

// ================================================================== public API

export interface DemoStudySpec {
  seed: number; // drives every random choice and all UIDs (deterministic)
  patient: { mrn: string; name: string /* DICOM PN e.g. 'DOE^JANE' */; birthDate: string /* YYYYMMDD */; sex: 'M' | 'F' | 'O'; issuer: string };
  accessionNumber: string;
  studyDate: string;
  studyTime: string; // DA / TM
  modality: 'CT' | 'MR' | 'CR' | 'DX' | 'US' | 'MG' | 'NM' | 'PT';
  bodyPart: string; // DICOM BodyPartExamined, e.g. HEAD, CHEST, ABDOMEN, KNEE, BREAST
  description: string; // StudyDescription, e.g. 'CT HEAD WITHOUT CONTRAST'
  institutionName: string;
  referringPhysician?: string;
  series: Array<{ description: string; instances: number; rows?: number; columns?: number }>;
}
export interface DemoInstance {
  sopInstanceUid: string;
  seriesInstanceUid: string;
  sopClassUid: string;
  part10: Buffer;
}
export interface DemoStudy {
  studyInstanceUid: string;
  instances: DemoInstance[];
}

type Modality = DemoStudySpec['modality'];

const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
const SOP_CLASS: Record<Modality, string> = {
  CT: '1.2.840.10008.5.1.4.1.1.2', // CT Image Storage
  MR: '1.2.840.10008.5.1.4.1.1.4', // MR Image Storage
  CR: '1.2.840.10008.5.1.4.1.1.1', // Computed Radiography Image Storage
  DX: '1.2.840.10008.5.1.4.1.1.1.1', // Digital X-Ray Image Storage - For Presentation
  US: '1.2.840.10008.5.1.4.1.1.6.1', // Ultrasound Image Storage
  MG: '1.2.840.10008.5.1.4.1.1.1.2', // Digital Mammography X-Ray Image Storage - For Presentation
  NM: '1.2.840.10008.5.1.4.1.1.20', // Nuclear Medicine Image Storage
  PT: '1.2.840.10008.5.1.4.1.1.128', // Positron Emission Tomography Image Storage
};
const DEFAULT_SIZE: Record<Modality, number> = { CT: 128, MR: 128, PT: 128, NM: 128, US: 128, CR: 256, DX: 256, MG: 256 };

// ================================================================== UIDs

/** Fixed RFC 4122 name-space UUID of the Teleread demo generator (UUIDv5 names are hashed under it). */
const UID_NAMESPACE = Buffer.from('ea4807ea7e51424e904eee83460e6b85', 'hex');

/** UUID-derived UID (PS3.5 B.2): "2.25." + decimal of a name-based (v5, SHA-1) UUID. <= 44 chars. */
function uuidDerivedUid(name: string): string {
  const b = createHash('sha1').update(UID_NAMESPACE).update(name, 'utf8').digest().subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x50; // version 5
  b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
  return `2.25.${BigInt(`0x${b.toString('hex')}`).toString(10)}`;
}

/**
 * Deterministic UID for (seed, ...parts) under the UUID-derived root 2.25 (PS3.5 B.2), using a
 * UUIDv5 in Teleread's own fixed name-space: no registered org root is borrowed, the result is
 * a valid UID (no leading zeros, <= 44 chars) and distinct inputs give distinct UIDs.
 * buildDemoStudy uses (seed,1) study, (seed,2,s) series, (seed,3,s,i) instance, (seed,4) frame of reference.
 */
export function demoUid(seed: number, ...parts: number[]): string {
  for (const n of [seed, ...parts]) {
    if (typeof n !== 'number' || !Number.isFinite(n)) throw new RangeError(`demoUid: not a finite number: ${String(n)}`);
  }
  return uuidDerivedUid([seed, ...parts].map((n) => String(n)).join('/'));
}

const IMPLEMENTATION_CLASS_UID = uuidDerivedUid('teleread-demo-dicom/implementation-class/1');
const IMPLEMENTATION_VERSION_NAME = 'TELEREAD_DEMO_1';

// ================================================================== deterministic randomness

type Rng = () => number;

function rngFor(seed: number, ...parts: Array<string | number>): Rng {
  const h = createHash('sha256').update(['teleread-demo-rng', seed, ...parts].map(String).join('\u0000')).digest();
  let a = h.readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const between = (r: Rng, lo: number, hi: number): number => lo + (hi - lo) * r();
const pick = <T>(r: Rng, list: readonly T[]): T => list[Math.floor(r() * list.length) % list.length];
function gauss(r: Rng): number {
  const u = 1 - r(); // (0, 1]
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

// ================================================================== value formatting / validation

/** DS string: at most 16 characters, no "-0". */
function ds(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`DS value not finite: ${n}`);
  let s = String(Math.round(n * 1e6) / 1e6);
  if (s === '-0') s = '0';
  if (s.length > 16) s = String(Number(n.toPrecision(9)));
  return s;
}
const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

function checkValue(field: string, value: string, vr: 'SH' | 'LO' | 'CS' | 'DA' | 'TM' | 'PN'): void {
  const fail = (why: string): never => {
    throw new RangeError(`DemoStudySpec.${field} = ${JSON.stringify(value)}: ${why}`);
  };
  if (/[\\\u0000-\u001f]/.test(value)) fail('backslash and control characters are not allowed');
  switch (vr) {
    case 'SH':
      if ([...value].length > 16) fail('SH allows at most 16 characters');
      break;
    case 'LO':
      if ([...value].length > 64) fail('LO allows at most 64 characters');
      break;
    case 'CS':
      if (!/^[A-Z0-9 _]{1,16}$/.test(value)) fail('CS: 1-16 of A-Z 0-9 space underscore');
      break;
    case 'DA': {
      const m = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
      if (!m) fail('DA must be YYYYMMDD');
      const d = new Date(Date.UTC(+m![1], +m![2] - 1, +m![3]));
      if (d.getUTCMonth() !== +m![2] - 1 || d.getUTCDate() !== +m![3]) fail('not a calendar date');
      break;
    }
    case 'TM':
      if (!/^([01]\d|2[0-3])([0-5]\d([0-5]\d(\.\d{1,6})?)?)?$/.test(value)) fail('TM must be HH[MM[SS[.FFFFFF]]]');
      break;
    case 'PN':
      for (const group of value.split('=')) {
        if ([...group].length > 64) fail('PN component group longer than 64 characters');
        if (group.split('^').length > 5) fail('PN has more than 5 components');
      }
      if (value.split('=').length > 3) fail('PN has more than 3 component groups');
      break;
  }
}

function validateSpec(spec: DemoStudySpec): void {
  if (typeof spec.seed !== 'number' || !Number.isFinite(spec.seed)) throw new RangeError('DemoStudySpec.seed must be a finite number');
  if (!(spec.modality in SOP_CLASS)) throw new RangeError(`DemoStudySpec.modality: unsupported ${String(spec.modality)}`);
  checkValue('patient.mrn', spec.patient.mrn, 'LO');
  if (!spec.patient.mrn) throw new RangeError('DemoStudySpec.patient.mrn must not be empty');
  checkValue('patient.name', spec.patient.name, 'PN');
  checkValue('patient.birthDate', spec.patient.birthDate, 'DA');
  if (!['M', 'F', 'O'].includes(spec.patient.sex)) throw new RangeError('DemoStudySpec.patient.sex must be M, F or O');
  checkValue('patient.issuer', spec.patient.issuer, 'LO');
  checkValue('accessionNumber', spec.accessionNumber, 'SH');
  checkValue('studyDate', spec.studyDate, 'DA');
  checkValue('studyTime', spec.studyTime, 'TM');
  checkValue('bodyPart', spec.bodyPart, 'CS');
  checkValue('description', spec.description, 'LO');
  checkValue('institutionName', spec.institutionName, 'LO');
  if (spec.referringPhysician !== undefined) checkValue('referringPhysician', spec.referringPhysician, 'PN');
  if (!Array.isArray(spec.series) || spec.series.length === 0) throw new RangeError('DemoStudySpec.series must not be empty');
  spec.series.forEach((s, i) => {
    checkValue(`series[${i}].description`, s.description, 'LO');
    if (!Number.isInteger(s.instances) || s.instances < 1 || s.instances > 5000) {
      throw new RangeError(`DemoStudySpec.series[${i}].instances must be an integer in [1, 5000]`);
    }
    for (const k of ['rows', 'columns'] as const) {
      const v = s[k];
      if (v !== undefined && (!Number.isInteger(v) || v < 8 || v > 4096)) {
        throw new RangeError(`DemoStudySpec.series[${i}].${k} must be an integer in [8, 4096]`);
      }
    }
  });
}

// ================================================================== time helpers

function tmToSeconds(tm: string): number {
  return +tm.slice(0, 2) * 3600 + +(tm.slice(2, 4) || 0) * 60 + +(tm.slice(4, 6) || 0);
}
function secondsToTm(sec: number): string {
  const s = Math.min(86399, Math.max(0, Math.floor(sec)));
  const p = (n: number) => String(n).padStart(2, '0');
  return p(Math.floor(s / 3600)) + p(Math.floor(s / 60) % 60) + p(s % 60);
}
/** PatientAge (AS) at the study date, or undefined when the birth date is after it. */
function patientAge(birth: string, at: string): string | undefined {
  const [by, bm, bd] = [+birth.slice(0, 4), +birth.slice(4, 6), +birth.slice(6, 8)];
  const [sy, sm, sd] = [+at.slice(0, 4), +at.slice(4, 6), +at.slice(6, 8)];
  const days = (Date.UTC(sy, sm - 1, sd) - Date.UTC(by, bm - 1, bd)) / 86400000;
  if (days < 0) return undefined;
  const years = sy - by - (sm < bm || (sm === bm && sd < bd) ? 1 : 0);
  const months = (sy - by) * 12 + (sm - bm) - (sd < bd ? 1 : 0);
  const pad = (n: number) => String(Math.min(999, n)).padStart(3, '0');
  if (years >= 2) return `${pad(years)}Y`;
  if (months >= 1) return `${pad(months)}M`;
  return days >= 7 ? `${pad(Math.floor(days / 7))}W` : `${pad(days)}D`;
}

// ================================================================== 3-D phantom

type Vec3 = [number, number, number];
const INF = Number.POSITIVE_INFINITY;

const TISSUES = ['AIR', 'LUNG', 'FAT', 'SOFT', 'MUSCLE', 'BONE', 'MARROW', 'GM', 'WM', 'CSF', 'BLOOD', 'LIVER', 'SPLEEN', 'KIDNEY', 'GAS', 'FLUID', 'URINE', 'LESION'] as const;
type TissueName = (typeof TISSUES)[number];
const T = Object.fromEntries(TISSUES.map((n, i) => [n, i])) as Record<TissueName, number>;
type TissueTable = Float64Array;
const table = (o: Record<TissueName, number>): TissueTable => Float64Array.from(TISSUES.map((n) => o[n]));

/** Axis-aligned ellipsoid (all radii finite) or elliptic cylinder (an infinite radius), clipped by a box. */
interface Shape {
  t: number;
  c: Vec3;
  r: Vec3;
  lo: Vec3;
  hi: Vec3;
  bmin: Vec3;
  bmax: Vec3;
}
interface Clip {
  x0?: number;
  x1?: number;
  y0?: number;
  y1?: number;
  z0?: number;
  z1?: number;
}

class Scene {
  readonly shapes: Shape[] = [];
  /** Ellipsoid centred at (cx,cy,cz) with radii (rx,ry,rz); later shapes paint over earlier ones. */
  e(t: number, cx: number, cy: number, cz: number, rx: number, ry: number, rz: number, clip: Clip = {}): void {
    const c: Vec3 = [cx, cy, cz];
    const r: Vec3 = [rx, ry, rz];
    const lo: Vec3 = [clip.x0 ?? -INF, clip.y0 ?? -INF, clip.z0 ?? -INF];
    const hi: Vec3 = [clip.x1 ?? INF, clip.y1 ?? INF, clip.z1 ?? INF];
    const bmin = [0, 1, 2].map((i) => Math.max(c[i] - r[i], lo[i])) as Vec3;
    const bmax = [0, 1, 2].map((i) => Math.min(c[i] + r[i], hi[i])) as Vec3;
    this.shapes.push({ t, c, r, lo, hi, bmin, bmax });
  }
  /** Elliptic cylinder along z from z0 to z1. */
  cyl(t: number, cx: number, cy: number, rx: number, ry: number, z0: number, z1: number, clip: Clip = {}): void {
    this.e(t, cx, cy, 0, rx, ry, INF, { ...clip, z0: Math.min(z0, z1), z1: Math.max(z0, z1) });
  }
}

interface Body {
  scene: Scene;
  /** x of the leg axes (right leg at -legX, left at +legX) and of the arms. */
  legX: number;
  armX: number;
  w: number;
}

/** Builds the synthetic patient. Coordinates: LPS mm (x to patient's left, y posterior, z head-ward); vertex near z=+30. */
function buildBody(seed: number, sex: DemoStudySpec['patient']['sex']): Body {
  const r = rngFor(seed, 'anatomy');
  const s = new Scene();
  const w = between(r, 0.9, 1.12); // habitus: width
  const d = between(r, 0.9, 1.1); // habitus: depth
  const hs = between(r, 0.95, 1.04); // head size
  const legX = 92 * w;
  const armX = 450;

  // ---- torso: subcutaneous fat, body wall, a dome over the shoulders
  s.cyl(T.FAT, 0, 0, 165 * w, 110 * d, -880, -250);
  s.e(T.FAT, 0, 0, -262, 165 * w, 110 * d, 62, { z0: -262 });
  s.cyl(T.SOFT, 0, 0, 150 * w, 96 * d, -875, -255);
  s.e(T.SOFT, 0, 0, -264, 150 * w, 96 * d, 52, { z0: -264 });
  // breasts
  if (sex === 'F') {
    for (const side of [-1, 1]) {
      s.e(T.FAT, side * 82 * w, -112 * d, -380, 62, 52, 58, { y1: -60 });
      s.e(T.SOFT, side * 82 * w, -120 * d, -380, 40, 32, 38, { y1: -70 });
    }
  }
  // ribs (posterior/lateral arcs) and paraspinal muscles
  // each rib: three arcs per side, dropping laterally (posterior ribs slope down and out)
  for (let k = 0; k < 12; k++) {
    const z = -250 - k * 21;
    for (const side of [-1, 1]) {
      for (const [a, b, dz] of [[0, 45, 0], [45, 100, -7], [100, 200, -16]]) {
        const clip = side < 0 ? { x0: -b * w, x1: -a * w, y0: -72 * d } : { x0: a * w, x1: b * w, y0: -72 * d };
        s.cyl(T.BONE, 0, 4, 146 * w, 93 * d, z + dz - 4, z + dz + 4, clip);
        s.cyl(T.SOFT, 0, 4, 139 * w, 86 * d, z + dz - 5, z + dz + 5, { ...clip, y0: clip.y0 - 1 });
      }
    }
  }
  for (const side of [-1, 1]) s.cyl(T.MUSCLE, side * 40, 80 * d, 24, 18 * d, -860, -255);
  // shoulders: clavicles, scapulae, humeral heads with deltoids
  for (const side of [-1, 1]) {
    s.e(T.SOFT, side * 172 * w, 5, -275, 42, 50, 70);
    s.e(T.BONE, side * 70 * w, -72 * d, -240, 68, 8, 8);
    s.e(T.BONE, side * 100 * w, 82 * d, -300, 42, 6, 70);
    s.e(T.BONE, side * 176 * w, 8, -258, 24, 24, 24);
    s.e(T.MARROW, side * 176 * w, 8, -258, 19, 19, 19);
    s.cyl(T.BONE, side * 180 * w, 8, 12, 12, -345, -262);
  }
  s.cyl(T.BONE, 0, -88 * d, 14, 6, -425, -258); // sternum

  // ---- abdominal organs (before the lungs so the lung bases carve the diaphragm domes)
  s.e(T.LIVER, -62 * w, -5, -512, 92 * w, 82 * d, 80);
  s.e(T.FLUID, -45 * w, -48 * d, -548, 15, 16, 26); // gallbladder
  s.e(T.SPLEEN, 96 * w, 36 * d, -480, 30, 44, 50);
  s.e(T.SOFT, 48 * w, -42 * d, -482, 44, 32, 40); // stomach
  s.e(T.GAS, 48 * w, -56 * d, -468, 30, 18, 16);
  for (const side of [-1, 1]) {
    s.e(T.KIDNEY, side * 72 * w, 50 * d, -568 + side * 8, 27, 23, 54);
    s.e(T.URINE, side * 60 * w, 44 * d, -568 + side * 8, 8, 8, 14);
  }
  s.e(T.SOFT, 8, 8, -532, 55, 12, 12); // pancreas
  // bowel loops (gas or fluid filled) and colonic flexures
  for (let k = 0; k < 16; k++) {
    const bx = between(r, -105, 105) * w;
    const by = between(r, -80, 10) * d;
    const bz = between(r, -740, -585);
    const br = between(r, 12, 20);
    s.e(T.SOFT, bx, by, bz, br, br, br * 1.2);
    s.e(r() < 0.55 ? T.GAS : T.FLUID, bx, by, bz, br * 0.55, br * 0.55, br * 0.7);
  }
  for (const side of [-1, 1]) s.e(T.GAS, side * 108 * w, -15 * d, -575, 17, 17, 40);

  // ---- great vessels and airway
  s.cyl(T.BLOOD, -22, 34 * d, 12, 12, -705, -430); // IVC
  s.cyl(T.BLOOD, 16, 36 * d, 12, 12, -705, -322); // descending aorta
  s.cyl(T.BLOOD, 6, -20 * d, 14, 14, -405, -322); // ascending aorta
  s.e(T.BLOOD, 10, 8, -318, 14, 34 * d, 14); // arch
  for (const side of [-1, 1]) s.cyl(T.BLOOD, side * 26, 32 * d, 7, 7, -800, -702); // iliac arteries
  s.cyl(T.GAS, 0, -14 * d, 9, 9, -338, -150); // trachea

  // ---- lungs with vessels, hila, bronchi, nodule
  const lungs: Array<{ x: number; zlo: number }> = [
    { x: -72 * w, zlo: -462 },
    { x: 72 * w, zlo: -478 },
  ];
  for (const L of lungs) s.e(T.LUNG, L.x, 6, -352, 62 * w, 76 * d, 128, { z0: L.zlo });
  for (const side of [-1, 1]) {
    s.e(T.GAS, side * 22, -10 * d, -350, 10, 7, 13);
    s.e(T.BLOOD, side * 40 * w, 0, -368, 12, 15, 22);
  }
  for (let k = 0; k < 36; k++) {
    const L = lungs[k % 2];
    const a = between(r, 0, 2 * Math.PI);
    const rad = Math.sqrt(r()) * 0.8;
    const vz = between(r, -440, -260);
    const rv = between(r, 1.8, 3.5);
    s.e(T.BLOOD, L.x + Math.cos(a) * rad * 55 * w, 6 + Math.sin(a) * rad * 68 * d, vz, rv, rv, rv * 3);
  }
  // ---- heart (myocardium + blood pool), in front of the lungs' medial parts
  s.e(T.SOFT, 24, -28 * d, -405, 62, 50 * d, 56, { z0: -466 });
  s.e(T.BLOOD, 27, -28 * d, -405, 47, 37 * d, 43, { z0: -460 });

  // ---- spine: vertebral bodies, discs, posterior elements, canal and cord
  for (let z = -150; z > -860; z -= 26) {
    const cerv = z > -235;
    const lumb = z < -520;
    const vy = cerv ? 18 : 58 * d;
    const rx = cerv ? 13 : lumb ? 23 : 17;
    const ry = cerv ? 11 : lumb ? 18 : 15;
    s.cyl(T.BONE, 0, vy, rx, ry, z - 10, z + 10);
    s.cyl(T.MARROW, 0, vy, rx - 3, ry - 3, z - 8, z + 8);
    s.e(T.BONE, 0, vy + ry + 12, z, rx + 6, 11, 10);
    s.cyl(T.CSF, 0, vy + ry + 7, 8, 7, z - 13, z + 13);
    if (z > -520) s.cyl(T.SOFT, 0, vy + ry + 7, 4.5, 4, z - 13, z + 13);
  }
  // ---- pelvis
  for (const side of [-1, 1]) {
    s.e(T.BONE, side * 96 * w, 42 * d, -690, 46, 22, 56);
    s.e(T.MARROW, side * 96 * w, 42 * d, -690, 38, 15, 48);
    s.e(T.BONE, side * 36, -70 * d, -822, 36, 12, 12); // pubis
    s.e(T.BONE, side * 56, 22, -836, 15, 24, 20); // ischium
  }
  s.e(T.BONE, 0, 76 * d, -722, 38, 18, 52); // sacrum
  s.e(T.MARROW, 0, 76 * d, -722, 31, 12, 45);
  s.e(T.URINE, 0, -45 * d, -796, 42, 36 * d, 30); // bladder
  s.e(T.GAS, 0, 46 * d, -792, 13, 13, 24); // rectum

  // ---- legs: thigh, knee, lower leg, ankle, foot
  for (const side of [-1, 1]) {
    const x = side * legX;
    s.e(T.FAT, x, 0, -1000, 84, 86, 360, { z0: -1320, z1: -850 }); // thigh, tapering to the knee
    s.e(T.MUSCLE, x, 0, -1000, 70, 72, 330, { z0: -1300, z1: -852 });
    s.e(T.SOFT, x, 4, -1312, 58, 56, 80); // knee
    s.e(T.FAT, x, 10, -1480, 58, 60, 250, { z0: -1725, z1: -1320 }); // calf
    s.e(T.MUSCLE, x, 16, -1470, 46, 48, 220, { z0: -1690, z1: -1340 });
    s.e(T.BONE, x, 2, -800, 26, 26, 26); // femoral head
    s.e(T.MARROW, x, 2, -800, 21, 21, 21);
    s.cyl(T.BONE, x, 6, 14, 14, -1290, -815);
    s.cyl(T.MARROW, x, 6, 9, 9, -1280, -825);
    s.e(T.BONE, x, 8, -1300, 40, 30, 28); // condyles
    s.e(T.MARROW, x, 8, -1300, 35, 25, 23);
    s.e(T.BONE, x, -54, -1290, 22, 9, 22); // patella
    s.e(T.BONE, x, 8, -1348, 38, 30, 18); // tibial plateau
    s.e(T.MARROW, x, 8, -1348, 33, 25, 13);
    s.cyl(T.BONE, x, 4, 14, 13, -1700, -1352);
    s.cyl(T.MARROW, x, 4, 9, 8, -1690, -1360);
    s.cyl(T.BONE, x + side * 30, 14, 7, 7, -1705, -1345); // fibula
    s.e(T.SOFT, x, -40, -1745, 40, 100, 22); // foot
    s.e(T.BONE, x, 10, -1716, 18, 22, 14); // talus
    s.e(T.BONE, x, 36, -1746, 17, 34, 18); // calcaneus
    for (let m = 0; m < 5; m++) s.e(T.BONE, x + side * (m - 2) * 11, -85, -1750, 4, 36, 4); // metatarsals
  }

  // ---- arms hanging free at x = +-450 (only in hand/wrist/elbow/arm fields of view)
  for (const side of [-1, 1]) {
    const x = side * armX;
    s.cyl(T.FAT, x, 0, 38, 36, -445, -150);
    s.cyl(T.MUSCLE, x, 0, 32, 30, -440, -150);
    s.e(T.SOFT, x, 0, -455, 40, 35, 30);
    s.cyl(T.FAT, x, 0, 32, 26, -705, -458);
    s.cyl(T.MUSCLE, x, 0, 27, 21, -700, -460);
    s.cyl(T.BONE, x, 0, 11, 11, -440, -150); // humerus
    s.cyl(T.MARROW, x, 0, 7, 7, -430, -160);
    s.e(T.BONE, x, 0, -448, 28, 14, 12);
    s.cyl(T.BONE, x - side * 13, 0, 8, 8, -705, -470); // radius
    s.cyl(T.BONE, x + side * 13, 4, 7, 7, -700, -458); // ulna
    s.e(T.BONE, x + side * 13, 10, -455, 9, 10, 12); // olecranon
    s.e(T.SOFT, x, 0, -716, 34, 18, 18); // wrist
    s.e(T.SOFT, x, 0, -765, 44, 14, 48); // palm
    // fingers: index..little run from the thumb side; in anatomical position the thumb is lateral
    const fingers = [
      { dx: 18, len: [44, 40, 24, 18] },
      { dx: 5, len: [42, 44, 27, 19] },
      { dx: -8, len: [40, 41, 25, 18] },
      { dx: -20, len: [36, 32, 19, 16] },
    ];
    for (const f of fingers) s.cyl(T.SOFT, x + side * f.dx, 0, 8, 8, -735 - f.len.reduce((a, b) => a + b + 3, 0), -790);
    s.cyl(T.SOFT, x + side * 38, 0, 9, 9, -822, -742); // thumb
    for (let k = 0; k < 8; k++) s.e(T.BONE, x + side * (-18 + (k % 4) * 12), 0, k < 4 ? -712 : -726, 6, 7, 6); // carpals
    for (const f of fingers) {
      let z = -734;
      f.len.forEach((len, j) => {
        const rr = [4.5, 4, 3.5, 3][j];
        s.cyl(T.BONE, x + side * f.dx, 0, rr, rr, z - len, z);
        z -= len + 3;
      });
    }
    s.cyl(T.BONE, x + side * 34, 0, 5, 5, -772, -734);
    s.cyl(T.BONE, x + side * 37, 0, 4.5, 4.5, -800, -775);
    s.cyl(T.BONE, x + side * 38, 0, 3.5, 3.5, -820, -803);
  }

  // ---- neck and head
  s.cyl(T.SOFT, 0, 12, 52, 56, -250, -120);
  s.e(T.SOFT, 0, -56, -142, 52 * hs, 44, 56); // face
  s.e(T.SOFT, 0, 5, -75, 78 * hs, 98 * hs, 108 * hs); // scalp
  s.e(T.BONE, 0, 5, -75, 74 * hs, 94 * hs, 103 * hs); // skull
  s.e(T.CSF, 0, 5, -75, 70 * hs, 90 * hs, 99 * hs);
  s.e(T.GM, 0, 5, -75, 68 * hs, 88 * hs, 96 * hs);
  s.e(T.WM, 0, 10, -62, 54 * hs, 70 * hs, 60 * hs);
  for (const side of [-1, 1]) {
    s.e(T.GM, side * 22 * hs, -4, -80, 12, 16, 14); // basal ganglia
    s.e(T.CSF, side * 11 * hs, -4, -60, 6.5, 26 * hs, 12); // lateral ventricles
    s.e(T.CSF, side * 17 * hs, 34 * hs, -70, 5, 12, 8); // occipital horns
    s.e(T.FLUID, side * 32 * hs, -74 * hs, -110, 12, 12, 12); // globes
    s.e(T.GAS, side * 25 * hs, -60 * hs, -140, 14, 15, 16); // maxillary sinuses
  }
  s.e(T.CSF, 0, 4, -88, 2.5, 12, 8); // third ventricle
  s.e(T.GM, 0, 50 * hs, -140, 50 * hs, 30 * hs, 28); // cerebellum
  s.e(T.CSF, 0, 42 * hs, -136, 7, 5, 6); // fourth ventricle
  s.e(T.WM, 0, 24 * hs, -150, 14, 14, 30); // brainstem
  s.e(T.GAS, 0, -78 * hs, -135, 8, 18, 22); // nasal cavity
  s.e(T.GAS, 0, -84 * hs, -40, 14, 5, 10); // frontal sinus
  s.e(T.BONE, 0, -56, -192, 48, 40, 10, { y1: -8 }); // mandible
  s.e(T.SOFT, 0, -50, -192, 40, 32, 11, { y1: -8 });

  // ---- seed-dependent findings
  if (r() < 0.5) {
    // brain lesion in white matter
    const a = between(r, 0, 2 * Math.PI);
    const lr = between(r, 5, 12);
    s.e(T.LESION, Math.cos(a) * 30, 10 + Math.sin(a) * 40, between(r, -90, -40), lr, lr, lr);
  }
  if (r() < 0.5) {
    const lr = between(r, 8, 16); // liver lesion
    s.e(T.LESION, -62 * w + between(r, -40, 30), between(r, -40, 30), between(r, -545, -480), lr, lr, lr);
  }
  if (r() < 0.5) {
    const L = pick(r, lungs); // lung nodule
    const nr = between(r, 4, 9);
    s.e(T.SOFT, L.x + between(r, -30, 30), between(r, -40, 40), between(r, -420, -280), nr, nr, nr);
  }
  return { scene: s, legX, armX, w };
}

// ---- regions of interest: where each body part sits in the phantom

interface Region {
  kind: string;
  c: Vec3;
  size: Vec3;
  /** CT window presets [center, width, explanation] */
  ctWindows: Array<[number, number, string]>;
}
const W_BRAIN: [number, number, string] = [40, 80, 'BRAIN'];
const W_BONE: [number, number, string] = [480, 2500, 'BONE'];
const W_LUNG: [number, number, string] = [-600, 1500, 'LUNG'];
const W_SOFT: [number, number, string] = [40, 400, 'SOFT TISSUE'];
const W_LIVER: [number, number, string] = [90, 150, 'LIVER'];

function regionFor(bodyPart: string, description: string, body: Body): Region {
  const bp = bodyPart.toUpperCase();
  const text = `${bp} ${description.toUpperCase()}`;
  const left = /\b(LEFT|LT|L)\b/.test(description.toUpperCase()) && !/\b(RIGHT|RT|R)\b/.test(description.toUpperCase());
  const side = left ? 1 : -1; // default: right (patient's right is -x)
  const leg = side * body.legX;
  const arm = side * body.armX;
  const R = (kind: string, c: Vec3, size: Vec3, ctWindows: Region['ctWindows']): Region => ({ kind, c, size, ctWindows });
  const has = (re: RegExp) => re.test(bp) || re.test(text);
  if (/^(HEAD|BRAIN|SKULL|ORBIT|SINUS|IAC|FACE|TMJ|JAW)/.test(bp)) return R('head', [0, 0, -78], [180, 220, 230], [W_BRAIN, W_BONE]);
  if (/^(WHOLEBODY|WB|BODY)$/.test(bp)) return R('wholebody', [0, 0, -505], [380, 250, 910], [W_SOFT, W_LUNG]);
  if (/CSPINE/.test(bp)) return R('cspine', [0, 22, -190], [110, 110, 150], [W_BONE, W_SOFT]);
  if (/TSPINE/.test(bp)) return R('tspine', [0, 58, -370], [130, 130, 260], [W_BONE, W_SOFT]);
  if (/LSPINE|SSPINE|SACRUM|COCCYX/.test(bp)) return R('lspine', [0, 58, -620], [130, 130, 220], [W_BONE, W_SOFT]);
  if (/SPINE/.test(bp)) return R('spine', [0, 58, -500], [130, 130, 720], [W_BONE, W_SOFT]);
  if (/NECK|THYROID|LARYNX/.test(bp)) return R('neck', [0, 10, -185], [150, 150, 150], [W_SOFT, W_BONE]);
  if (/HEART|CARDIAC|CORONARY/.test(bp)) return R('heart', [24, -22, -400], [200, 180, 160], [W_SOFT, W_LUNG]);
  if (/BREAST/.test(bp)) return R('breast', [0, -100, -380], [360, 170, 170], [W_SOFT, W_LUNG]);
  if (/CHEST|THORAX|LUNG|RIB|STERNUM|CLAVICLE/.test(bp)) return R('chest', [0, 0, -352], [350, 240, 290], [W_SOFT, W_LUNG]);
  if (/ABDOMENPELVIS|ABDPELV|ABD_PELV/.test(bp) || (/ABDOMEN/.test(bp) && /PELVIS/.test(text))) {
    return R('abdpelvis', [0, 0, -640], [350, 240, 440], [W_SOFT, W_LIVER]);
  }
  if (/ABDOMEN|LIVER|KIDNEY|PANCREAS|SPLEEN|GALLBLADDER|ADRENAL|AORTA/.test(bp)) return R('abdomen', [0, 0, -570], [350, 240, 300], [W_SOFT, W_LIVER]);
  if (/PELVIS|BLADDER|PROSTATE|UTERUS|OVARY|RECTUM/.test(bp)) return R('pelvis', [0, 0, -775], [350, 240, 200], [W_SOFT, W_BONE]);
  if (/HIP/.test(bp)) return R('hip', [leg * 0.85, 4, -800], [200, 200, 200], [W_BONE, W_SOFT]);
  if (/KNEE|PATELLA/.test(bp)) return R('knee', [leg, 6, -1312], [160, 160, 150], [W_BONE, W_SOFT]);
  if (/FEMUR|THIGH/.test(bp)) return R('thigh', [leg, 0, -1060], [190, 190, 480], [W_BONE, W_SOFT]);
  if (/LEG|TIBIA|FIBULA|CALF/.test(bp)) return R('leg', [leg, 6, -1520], [150, 150, 400], [W_BONE, W_SOFT]);
  if (/ANKLE/.test(bp)) return R('ankle', [leg, 12, -1718], [140, 140, 110], [W_BONE, W_SOFT]);
  if (/FOOT|TOE|HEEL|CALCANEUS/.test(bp)) return R('foot', [leg, -40, -1742], [140, 250, 70], [W_BONE, W_SOFT]);
  if (/SHOULDER|SCAPULA|ACJOINT/.test(bp)) return R('shoulder', [side * 150 * body.w, 4, -268], [190, 190, 190], [W_BONE, W_SOFT]);
  if (/HAND|FINGER|THUMB/.test(bp)) return R('hand', [arm, 0, -790], [110, 60, 190], [W_BONE, W_SOFT]);
  if (/WRIST/.test(bp)) return R('wrist', [arm, 0, -722], [100, 70, 90], [W_BONE, W_SOFT]);
  if (/FOREARM|RADIUS|ULNA/.test(bp)) return R('forearm', [arm, 0, -590], [100, 80, 290], [W_BONE, W_SOFT]);
  if (/ELBOW/.test(bp)) return R('elbow', [arm, 0, -455], [110, 100, 120], [W_BONE, W_SOFT]);
  if (/ARM|HUMERUS|UPRLIMB|UPPER_LIMB/.test(bp)) return R('arm', [arm, 0, -300], [110, 100, 330], [W_BONE, W_SOFT]);
  if (has(/EXTREMITY|LOWER_LIMB|LWRLIMB/)) return R('knee', [leg, 6, -1312], [160, 160, 150], [W_BONE, W_SOFT]);
  return R('abdomen', [0, 0, -570], [350, 240, 300], [W_SOFT, W_LIVER]);
}

// ---- sampling

interface Plane {
  origin: Vec3; // centre of the first transmitted pixel (row 0, column 0)
  row: Vec3; // direction of increasing column index
  col: Vec3; // direction of increasing row index
  spacing: number; // square pixels, mm
  rows: number;
  cols: number;
}

function planeBox(p: Plane): { min: Vec3; max: Vec3 } {
  const min: Vec3 = [INF, INF, INF];
  const max: Vec3 = [-INF, -INF, -INF];
  for (const [a, b] of [[0, 0], [p.cols - 1, 0], [0, p.rows - 1], [p.cols - 1, p.rows - 1]]) {
    for (let i = 0; i < 3; i++) {
      const v = p.origin[i] + a * p.spacing * p.row[i] + b * p.spacing * p.col[i];
      min[i] = Math.min(min[i], v);
      max[i] = Math.max(max[i], v);
    }
  }
  return { min, max };
}

/** Tissue label of every pixel of a cross-section. */
function sampleSlice(scene: Scene, p: Plane): Uint8Array {
  const box = planeBox(p);
  const cand = scene.shapes.filter((s) => [0, 1, 2].every((i) => s.bmax[i] >= box.min[i] - 1e-6 && s.bmin[i] <= box.max[i] + 1e-6));
  const out = new Uint8Array(p.rows * p.cols);
  const n = cand.length;
  for (let rr = 0; rr < p.rows; rr++) {
    for (let cc = 0; cc < p.cols; cc++) {
      const x = p.origin[0] + cc * p.spacing * p.row[0] + rr * p.spacing * p.col[0];
      const y = p.origin[1] + cc * p.spacing * p.row[1] + rr * p.spacing * p.col[1];
      const z = p.origin[2] + cc * p.spacing * p.row[2] + rr * p.spacing * p.col[2];
      let t = T.AIR;
      for (let j = n - 1; j >= 0; j--) {
        const s = cand[j];
        if (x < s.lo[0] || x > s.hi[0] || y < s.lo[1] || y > s.hi[1] || z < s.lo[2] || z > s.hi[2]) continue;
        const dx = (x - s.c[0]) / s.r[0];
        const dy = (y - s.c[1]) / s.r[1];
        const dz = (z - s.c[2]) / s.r[2];
        if (dx * dx + dy * dy + dz * dz <= 1) {
          t = s.t;
          break;
        }
      }
      out[rr * p.cols + cc] = t;
    }
  }
  return out;
}

/** Line integral of a per-tissue quantity (mm * value) along `axis` through every pixel of a detector plane. */
function projectPlane(scene: Scene, p: Plane, axis: number, values: TissueTable, tmin: number, tmax: number): Float64Array {
  const [b, c] = [0, 1, 2].filter((i) => i !== axis);
  const box = planeBox(p);
  const cand = scene.shapes.filter((s) => s.bmax[b] >= box.min[b] && s.bmin[b] <= box.max[b] && s.bmax[c] >= box.min[c] && s.bmin[c] <= box.max[c]);
  const out = new Float64Array(p.rows * p.cols);
  const t0s: number[] = [];
  const t1s: number[] = [];
  const tis: number[] = [];
  const ends: number[] = [];
  for (let rr = 0; rr < p.rows; rr++) {
    for (let cc = 0; cc < p.cols; cc++) {
      const pb = p.origin[b] + cc * p.spacing * p.row[b] + rr * p.spacing * p.col[b];
      const pc = p.origin[c] + cc * p.spacing * p.row[c] + rr * p.spacing * p.col[c];
      t0s.length = t1s.length = tis.length = ends.length = 0;
      for (const s of cand) {
        if (pb < s.bmin[b] || pb > s.bmax[b] || pc < s.bmin[c] || pc > s.bmax[c]) continue;
        const db = (pb - s.c[b]) / s.r[b];
        const dc = (pc - s.c[c]) / s.r[c];
        const q = 1 - db * db - dc * dc;
        if (q < 0) continue;
        const half = s.r[axis] === INF ? INF : s.r[axis] * Math.sqrt(q);
        const t0 = Math.max(s.c[axis] - half, s.lo[axis], tmin);
        const t1 = Math.min(s.c[axis] + half, s.hi[axis], tmax);
        if (t1 <= t0) continue;
        t0s.push(t0);
        t1s.push(t1);
        tis.push(s.t);
        ends.push(t0, t1);
      }
      if (tis.length === 0) continue;
      ends.sort((u, v) => u - v);
      let sum = 0;
      for (let k = 0; k + 1 < ends.length; k++) {
        const len = ends[k + 1] - ends[k];
        if (len <= 0) continue;
        const mid = (ends[k] + ends[k + 1]) / 2;
        for (let j = tis.length - 1; j >= 0; j--) {
          if (mid >= t0s[j] && mid <= t1s[j]) {
            sum += values[tis[j]] * len;
            break;
          }
        }
      }
      out[rr * p.cols + cc] = sum;
    }
  }
  return out;
}

function boxBlur(src: Float64Array, w: number, h: number, passes: number): Float64Array {
  let a = src;
  for (let pass = 0; pass < passes; pass++) {
    const tmp = new Float64Array(a.length);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        let n = 0;
        for (let k = -1; k <= 1; k++) {
          const xx = x + k;
          if (xx >= 0 && xx < w) {
            s += a[y * w + xx];
            n++;
          }
        }
        tmp[y * w + x] = s / n;
      }
    }
    const out = new Float64Array(a.length);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        let n = 0;
        for (let k = -1; k <= 1; k++) {
          const yy = y + k;
          if (yy >= 0 && yy < h) {
            s += tmp[yy * w + x];
            n++;
          }
        }
        out[y * w + x] = s / n;
      }
    }
    a = out;
  }
  return a;
}

// ================================================================== per-modality tissue properties

// CT attenuation in HU (unenhanced and enhanced).
const CT_HU = table({ AIR: -1000, LUNG: -850, FAT: -100, SOFT: 40, MUSCLE: 50, BONE: 700, MARROW: 220, GM: 40, WM: 28, CSF: 5, BLOOD: 42, LIVER: 60, SPLEEN: 48, KIDNEY: 32, GAS: -990, FLUID: 5, URINE: 8, LESION: 25 });
const CT_HU_CONTRAST = table({ AIR: -1000, LUNG: -840, FAT: -100, SOFT: 60, MUSCLE: 60, BONE: 700, MARROW: 240, GM: 45, WM: 30, CSF: 5, BLOOD: 260, LIVER: 110, SPLEEN: 120, KIDNEY: 190, GAS: -990, FLUID: 5, URINE: 10, LESION: 45 });
// MR signal (arbitrary units, 12-bit) by weighting.
const MR_SIGNAL: Record<string, TissueTable> = {
  T1: table({ AIR: 0, LUNG: 15, FAT: 950, SOFT: 380, MUSCLE: 320, BONE: 25, MARROW: 800, GM: 450, WM: 600, CSF: 150, BLOOD: 60, LIVER: 480, SPLEEN: 380, KIDNEY: 400, GAS: 0, FLUID: 160, URINE: 150, LESION: 280 }),
  T1C: table({ AIR: 0, LUNG: 20, FAT: 950, SOFT: 450, MUSCLE: 340, BONE: 25, MARROW: 820, GM: 470, WM: 610, CSF: 150, BLOOD: 900, LIVER: 650, SPLEEN: 700, KIDNEY: 900, GAS: 0, FLUID: 160, URINE: 150, LESION: 950 }),
  T2: table({ AIR: 0, LUNG: 20, FAT: 700, SOFT: 320, MUSCLE: 220, BONE: 20, MARROW: 550, GM: 620, WM: 430, CSF: 1200, BLOOD: 50, LIVER: 250, SPLEEN: 550, KIDNEY: 600, GAS: 0, FLUID: 1200, URINE: 1200, LESION: 900 }),
  FLAIR: table({ AIR: 0, LUNG: 15, FAT: 600, SOFT: 320, MUSCLE: 200, BONE: 20, MARROW: 450, GM: 560, WM: 420, CSF: 120, BLOOD: 40, LIVER: 250, SPLEEN: 400, KIDNEY: 420, GAS: 0, FLUID: 150, URINE: 150, LESION: 1000 }),
  DWI: table({ AIR: 0, LUNG: 5, FAT: 60, SOFT: 200, MUSCLE: 120, BONE: 10, MARROW: 150, GM: 330, WM: 300, CSF: 60, BLOOD: 20, LIVER: 180, SPLEEN: 450, KIDNEY: 400, GAS: 0, FLUID: 50, URINE: 60, LESION: 1100 }),
  ADC: table({ AIR: 0, LUNG: 0, FAT: 100, SOFT: 1300, MUSCLE: 1400, BONE: 0, MARROW: 400, GM: 850, WM: 750, CSF: 3000, BLOOD: 2000, LIVER: 1100, SPLEEN: 850, KIDNEY: 2000, GAS: 0, FLUID: 3000, URINE: 3000, LESION: 450 }),
};
// FDG PET standardized uptake values.
const PT_SUV = table({ AIR: 0, LUNG: 0.35, FAT: 0.3, SOFT: 0.9, MUSCLE: 0.7, BONE: 0.5, MARROW: 1.6, GM: 8.5, WM: 3.2, CSF: 0.4, BLOOD: 1.8, LIVER: 2.4, SPLEEN: 2.0, KIDNEY: 3.5, GAS: 0, FLUID: 0.5, URINE: 25, LESION: 9 });
// Tc-99m MDP bone scan relative uptake per mm.
const NM_UPTAKE = table({ AIR: 0, LUNG: 0.05, FAT: 0.08, SOFT: 0.15, MUSCLE: 0.15, BONE: 1.0, MARROW: 0.6, GM: 0.1, WM: 0.1, CSF: 0.05, BLOOD: 0.2, LIVER: 0.1, SPLEEN: 0.1, KIDNEY: 0.9, GAS: 0, FLUID: 0.1, URINE: 6, LESION: 0.6 });
// Diagnostic X-ray linear attenuation, 1/mm.
const XRAY_MU = table({ AIR: 0, LUNG: 0.005, FAT: 0.018, SOFT: 0.021, MUSCLE: 0.022, BONE: 0.09, MARROW: 0.03, GM: 0.021, WM: 0.021, CSF: 0.02, BLOOD: 0.022, LIVER: 0.022, SPLEEN: 0.022, KIDNEY: 0.022, GAS: 0, FLUID: 0.02, URINE: 0.02, LESION: 0.021 });

// ================================================================== series geometry

type Orientation = 'AXIAL' | 'SAGITTAL' | 'CORONAL';

function orientationOf(seriesDescription: string): Orientation {
  const d = seriesDescription.toUpperCase();
  if (/\bSAG/.test(d)) return 'SAGITTAL';
  if (/\bCOR/.test(d)) return 'CORONAL';
  return 'AXIAL';
}

function parseThickness(seriesDescription: string): number | undefined {
  const m = /(\d+(?:\.\d+)?)\s*MM\b/i.exec(seriesDescription);
  const v = m ? Number(m[1]) : NaN;
  return v > 0 && v <= 20 ? v : undefined;
}

interface SliceGeometry {
  planes: Plane[];
  thickness: number;
  increment: number;
  normal: Vec3;
}

function crossSections(region: Region, orient: Orientation, rows: number, cols: number, n: number, thkHint: number | undefined, thkDefault: number): SliceGeometry {
  const [sx, sy, sz] = region.size;
  let row: Vec3, col: Vec3, step: Vec3, u: number, v: number, depth: number;
  if (orient === 'SAGITTAL') {
    [row, col, step, u, v, depth] = [[0, 1, 0], [0, 0, -1], [1, 0, 0], sy, sz, sx * 0.75];
  } else if (orient === 'CORONAL') {
    [row, col, step, u, v, depth] = [[1, 0, 0], [0, 0, -1], [0, 1, 0], sx, sz, sy * 0.8];
  } else {
    [row, col, step, u, v, depth] = [[1, 0, 0], [0, 1, 0], [0, 0, -1], sx, sy, sz];
  }
  const spacing = round(Math.max(u / cols, v / rows), 4);
  const thickness = round(thkHint ?? Math.max(thkDefault, depth / n), 2);
  const increment = round(Math.max(thickness, depth / n), 2);
  const planes: Plane[] = [];
  for (let k = 0; k < n; k++) {
    const off = (k - (n - 1) / 2) * increment;
    const origin = [0, 1, 2].map((i) => round(region.c[i] + step[i] * off - row[i] * ((cols - 1) / 2) * spacing - col[i] * ((rows - 1) / 2) * spacing, 4)) as Vec3;
    planes.push({ origin, row, col, spacing, rows, cols });
  }
  const normal: Vec3 = [row[1] * col[2] - row[2] * col[1], row[2] * col[0] - row[0] * col[2], row[0] * col[1] - row[1] * col[0]];
  return { planes, thickness, increment, normal };
}

type View = 'AP' | 'PA' | 'LAT' | 'AXIAL' | 'POST' | 'ANT';

function projectionView(modality: Modality, region: Region, seriesDescription: string, index: number): View {
  const d = ` ${seriesDescription.toUpperCase()} `;
  if (/\b(LAT|LATERAL|LL|RL)\b/.test(d)) return 'LAT';
  if (modality === 'NM') return /\bPOST/.test(d) ? 'POST' : 'ANT';
  if (/\bPA\b/.test(d)) return 'PA';
  if (/\bAP\b/.test(d)) return 'AP';
  if (region.kind === 'foot') return 'AXIAL';
  if (/\bOBL|\bVIEWS?\b/.test(d) && index % 2 === 1) return 'LAT';
  return region.kind === 'chest' ? 'PA' : 'AP';
}

/** Detector plane through the region centre; rays are summed along `axis` over the region's extent only. */
function projectionPlane(region: Region, view: View, rows: number, cols: number, margin: number): { plane: Plane; axis: number; tmin: number; tmax: number } {
  const [sx, sy, sz] = region.size;
  let row: Vec3, col: Vec3, axis: number, u: number, v: number;
  // upper-limb radiographs hang with the fingers up; everything else head up
  const vert: Vec3 = /^(hand|wrist|forearm)$/.test(region.kind) ? [0, 0, 1] : [0, 0, -1];
  if (view === 'LAT') [row, col, axis, u, v] = [[0, 1, 0], vert, 0, sy, sz];
  else if (view === 'AXIAL') [row, col, axis, u, v] = [[1, 0, 0], [0, -1, 0], 2, sx, sy];
  else if (view === 'POST') [row, col, axis, u, v] = [[-1, 0, 0], vert, 1, sx, sz];
  else [row, col, axis, u, v] = [[1, 0, 0], vert, 1, sx, sz];
  const spacing = round(Math.max((u * margin) / cols, (v * margin) / rows), 4);
  const origin = [0, 1, 2].map((i) => round(region.c[i] - row[i] * ((cols - 1) / 2) * spacing - col[i] * ((rows - 1) / 2) * spacing, 4)) as Vec3;
  const half = (region.size[axis] / 2) * 1.15;
  return { plane: { origin, row, col, spacing, rows, cols }, axis, tmin: region.c[axis] - half, tmax: region.c[axis] + half };
}

/** Patient orientation letter(s) of a direction (PS3.3 C.7.6.1.1.1), main axis only. */
function orientLetter(v: Vec3): string {
  const i = [0, 1, 2].reduce((m, k) => (Math.abs(v[k]) > Math.abs(v[m]) ? k : m), 0);
  return (v[i] > 0 ? 'LPH' : 'RAF')[i];
}

// ================================================================== pixel encoding

interface Pixels {
  data: ArrayBuffer;
  bits: 8 | 16;
  bitsStored: number;
}

function encode16(values: ArrayLike<number>, maxStored: number, bitsStored: number): Pixels {
  const buf = new ArrayBuffer(values.length * 2);
  const dv = new DataView(buf);
  for (let i = 0; i < values.length; i++) {
    const v = Math.round(values[i]);
    dv.setUint16(i * 2, v < 0 ? 0 : v > maxStored ? maxStored : v, true);
  }
  return { data: buf, bits: 16, bitsStored };
}

function encode8(values: ArrayLike<number>): Pixels {
  const a = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Math.round(values[i]);
    a[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return { data: a.buffer, bits: 8, bitsStored: 8 };
}

function arrMax(values: ArrayLike<number>, floor: number): number {
  let m = floor;
  for (let i = 0; i < values.length; i++) if (values[i] > m) m = values[i];
  return m;
}

/** Value at quantile q of the non-background pixels (values > floor). */
function quantile(values: ArrayLike<number>, q: number, floor: number): number {
  const v: number[] = [];
  for (let i = 0; i < values.length; i++) if (values[i] > floor) v.push(values[i]);
  if (v.length === 0) return floor + 1;
  v.sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.floor(q * v.length))];
}

// ================================================================== per-series rendering

interface Ctx {
  spec: DemoStudySpec;
  body: Body;
  pet: { doseBq: number; weightKg: number; injectionTime: string; halfLife: number };
}

interface RenderedInstance {
  attrs: Record<string, unknown>;
  pixels: Pixels;
}

/** Whether a series shows IV contrast: the series description decides, else the study description ("with and without" studies: only series marked POST etc.). */
const isContrast = (studyDesc: string, seriesDesc: string): boolean => {
  const s = ` ${seriesDesc.toUpperCase()} `;
  if (/\b(PRE|NON[- ]?CON|NONCONTRAST|W\/?O)\b|WITHOUT/.test(s)) return false;
  if (/\b(POST|ARTERIAL|VENOUS|PORTAL|DELAY(ED)?|CTA|ANGIO|GAD)\b|\+C\b/.test(s)) return true;
  const d = ` ${studyDesc.toUpperCase()} `;
  if (/\bCTA\b|ANGIO/.test(d)) return true;
  if (/WITH AND WITHOUT|W\/WO|W\/ AND W\/O|W\+WO/.test(d)) return false;
  if (/\bW\/?O\b|WITHOUT|NON[- ]?CON/.test(d)) return false;
  return /\bW(ITH)?\/? ?(IV )?CONTRAST\b|\bENHANCED\b/.test(d);
};

function mrWeighting(seriesDesc: string, contrast: boolean): { key: string; tr: number; te: number; ti?: number; seq: string; variant: string; etl: number; fatSat: boolean; imageType: string[] } {
  const d = seriesDesc.toUpperCase();
  const fatSat = /\b(FS|FATSAT|FAT SAT|STIR|SPIR|SPAIR|DIXON)\b/.test(d);
  if (/\bADC\b/.test(d)) return { key: 'ADC', tr: 5000, te: 80, seq: 'EP', variant: 'SK\\SS', etl: 1, fatSat: true, imageType: ['DERIVED', 'PRIMARY', 'ADC'] };
  if (/\b(DWI|DIFF|DIFFUSION|TRACE)\b/.test(d)) return { key: 'DWI', tr: 5000, te: 80, seq: 'EP', variant: 'SK\\SS', etl: 1, fatSat: true, imageType: ['ORIGINAL', 'PRIMARY', 'DIFFUSION'] };
  if (/FLAIR/.test(d)) return { key: 'FLAIR', tr: 9000, te: 120, ti: 2500, seq: 'SE\\IR', variant: 'SK\\SP', etl: 16, fatSat, imageType: ['ORIGINAL', 'PRIMARY', 'OTHER'] };
  if (/STIR/.test(d)) return { key: 'T2', tr: 4500, te: 40, ti: 150, seq: 'SE\\IR', variant: 'SK\\SP', etl: 12, fatSat: true, imageType: ['ORIGINAL', 'PRIMARY', 'OTHER'] };
  if (/\b(T2|PD|HASTE|SSFSE)/.test(d)) return { key: 'T2', tr: 4000, te: 95, seq: 'SE', variant: 'SK\\SP', etl: 16, fatSat, imageType: ['ORIGINAL', 'PRIMARY', 'OTHER'] };
  return { key: contrast ? 'T1C' : 'T1', tr: 550, te: 12, seq: 'SE', variant: 'SK\\SP', etl: 1, fatSat, imageType: ['ORIGINAL', 'PRIMARY', 'OTHER'] };
}

function imageSize(spec: DemoStudySpec, s: DemoStudySpec['series'][number]): { rows: number; cols: number } {
  const def = DEFAULT_SIZE[spec.modality];
  return { rows: s.rows ?? s.columns ?? def, cols: s.columns ?? s.rows ?? def };
}

function geometryAttrs(p: Plane, thickness: number | undefined, normal: Vec3): Record<string, unknown> {
  return {
    ImagePositionPatient: p.origin.map(ds),
    ImageOrientationPatient: [...p.row, ...p.col].map(ds),
    PixelSpacing: [ds(p.spacing), ds(p.spacing)],
    SliceThickness: thickness === undefined ? '' : ds(thickness),
    SliceLocation: ds(p.origin[0] * normal[0] + p.origin[1] * normal[1] + p.origin[2] * normal[2]),
  };
}

function renderCT(ctx: Ctx, region: Region, si: number): RenderedInstance[] {
  const { spec, body } = ctx;
  const s = spec.series[si];
  const { rows, cols } = imageSize(spec, s);
  const desc = s.description.toUpperCase();
  const contrast = isContrast(spec.description, s.description);
  const hu = contrast ? CT_HU_CONTRAST : CT_HU;
  const out: RenderedInstance[] = [];
  const kvp = region.kind === 'head' ? 120 : pick(rngFor(spec.seed, 'kvp', si), [100, 120, 120, 140]);
  if (/SCOUT|TOPO|LOCALI[SZ]ER|SURVIEW|SCANOGRAM/.test(desc)) {
    for (let k = 0; k < s.instances; k++) {
      const view: View = k % 2 === 1 ? 'LAT' : 'AP';
      const big: Region = { ...region, size: [region.size[0] * 1.2, region.size[1] * 1.2, region.size[2] * 1.6] };
      const { plane, axis, tmin, tmax } = projectionPlane(big, view, rows, cols, 1.0);
      const line = projectPlane(body.scene, plane, axis, XRAY_MU, tmin, tmax);
      const rnd = rngFor(spec.seed, 'px', si, k);
      const p0 = arrMax(line, 1e-6) / 2.2;
      const v = Array.from(line, (x) => 4095 * (1 - Math.exp(-x / p0)) + gauss(rnd) * 10);
      out.push({
        attrs: {
          ImageType: ['ORIGINAL', 'PRIMARY', 'LOCALIZER'],
          ...geometryAttrs(plane, undefined, [0, 0, 0]),
          SliceLocation: undefined,
          RescaleIntercept: '0',
          RescaleSlope: '1',
          RescaleType: 'US',
          WindowCenter: '2048',
          WindowWidth: '4096',
          KVP: ds(kvp),
          XRayTubeCurrent: 40,
        },
        pixels: encode16(v, 4095, 12),
      });
    }
    return out;
  }
  const orient = orientationOf(s.description);
  const geo = crossSections(region, orient, rows, cols, s.instances, parseThickness(s.description), region.kind === 'head' ? 5 : 3);
  const noise = region.kind === 'head' ? 4 : 9;
  let windows = region.ctWindows;
  if (/LUNG/.test(desc)) windows = [W_LUNG, ...windows.filter((w) => w !== W_LUNG)];
  if (/BONE/.test(desc)) windows = [W_BONE, ...windows.filter((w) => w !== W_BONE)];
  const kernel = /LUNG/.test(desc) ? 'LUNG' : /BONE/.test(desc) ? 'BONE' : 'STANDARD';
  const mA = Math.round(between(rngFor(spec.seed, 'ma', si), 150, 350));
  geo.planes.forEach((plane, k) => {
    const labels = sampleSlice(body.scene, plane);
    const rnd = rngFor(spec.seed, 'px', si, k);
    const v = new Float64Array(labels.length);
    for (let i = 0; i < labels.length; i++) {
      const h = hu[labels[i]];
      v[i] = h + 1024 + (h > -950 ? gauss(rnd) * noise : gauss(rnd) * 2);
    }
    out.push({
      attrs: {
        ImageType: orient === 'AXIAL' ? ['ORIGINAL', 'PRIMARY', 'AXIAL'] : ['DERIVED', 'SECONDARY', 'AXIAL'],
        ...geometryAttrs(plane, geo.thickness, geo.normal),
        RescaleIntercept: '-1024',
        RescaleSlope: '1',
        RescaleType: 'HU',
        WindowCenter: windows.map((w) => ds(w[0])),
        WindowWidth: windows.map((w) => ds(w[1])),
        WindowCenterWidthExplanation: windows.map((w) => w[2]),
        KVP: ds(kvp),
        XRayTubeCurrent: mA,
        ExposureTime: 500,
        ConvolutionKernel: kernel,
        DataCollectionDiameter: ds(500),
        ReconstructionDiameter: ds(round(plane.spacing * Math.max(rows, cols), 2)),
        ...(contrast ? { ContrastBolusAgent: 'IOHEXOL 350', ContrastBolusRoute: 'IV' } : {}),
      },
      pixels: encode16(v, 4095, 12),
    });
  });
  return out;
}

function renderMR(ctx: Ctx, region: Region, si: number): RenderedInstance[] {
  const { spec, body } = ctx;
  const s = spec.series[si];
  const { rows, cols } = imageSize(spec, s);
  const contrast = isContrast(spec.description, s.description);
  const wt = mrWeighting(s.description, contrast);
  const base = MR_SIGNAL[wt.key];
  const signal = Float64Array.from(base, (v, i) => (wt.fatSat && i === T.FAT ? v * 0.12 : wt.fatSat && i === T.MARROW ? v * 0.3 : v));
  const orient = orientationOf(s.description);
  const geo = crossSections(region, orient, rows, cols, s.instances, parseThickness(s.description), region.kind === 'head' ? 5 : 4);
  const field = pick(rngFor(spec.seed, 'field'), [1.5, 1.5, 3]);
  const sigma = wt.key === 'ADC' ? 40 : 12;
  return geo.planes.map((plane, k) => {
    const labels = sampleSlice(body.scene, plane);
    const rnd = rngFor(spec.seed, 'px', si, k);
    const v = new Float64Array(labels.length);
    for (let rr = 0; rr < rows; rr++) {
      for (let cc = 0; cc < cols; cc++) {
        const i = rr * cols + cc;
        const uu = cc / cols - 0.5;
        const vv = rr / rows - 0.5;
        const gain = wt.key === 'ADC' ? 1 : 1.1 - 0.4 * (uu * uu + vv * vv);
        const a = signal[labels[i]] * gain + gauss(rnd) * sigma;
        const b = gauss(rnd) * sigma;
        v[i] = Math.sqrt(a * a + b * b); // Rician magnitude noise
      }
    }
    const hi = quantile(v, 0.995, 3 * sigma);
    return {
      attrs: {
        ImageType: wt.imageType,
        ...geometryAttrs(plane, geo.thickness, geo.normal),
        SpacingBetweenSlices: ds(geo.increment),
        ScanningSequence: wt.seq.split('\\'),
        SequenceVariant: wt.variant.split('\\'),
        ScanOptions: wt.fatSat ? 'FS' : '',
        MRAcquisitionType: '2D',
        RepetitionTime: ds(wt.tr),
        EchoTime: ds(wt.te),
        ...(wt.ti !== undefined ? { InversionTime: ds(wt.ti) } : {}),
        EchoTrainLength: wt.etl,
        NumberOfAverages: ds(1),
        ImagingFrequency: ds(round(42.577478 * field, 6)),
        ImagedNucleus: '1H',
        MagneticFieldStrength: ds(field),
        FlipAngle: ds(wt.key.startsWith('T1') ? 70 : 150),
        SequenceName: wt.seq === 'EP' ? '*ep_b1000t' : wt.key === 'FLAIR' ? '*tir2d1' : '*tse2d1',
        WindowCenter: ds(Math.round(hi * 0.5)),
        WindowWidth: ds(Math.max(1, Math.round(hi))),
        ...(contrast && wt.key === 'T1C' ? { ContrastBolusAgent: 'GADOTERATE', ContrastBolusRoute: 'IV' } : {}),
      },
      pixels: encode16(v, 4095, 12),
    };
  });
}

function renderPT(ctx: Ctx, region: Region, si: number): RenderedInstance[] {
  const { spec, body, pet } = ctx;
  const s = spec.series[si];
  const { rows, cols } = imageSize(spec, s);
  const orient = orientationOf(s.description);
  const geo = crossSections(region, orient, rows, cols, s.instances, parseThickness(s.description), 3.27);
  const seriesStart = tmToSeconds(spec.studyTime) + 120 * si;
  const dt = seriesStart - tmToSeconds(pet.injectionTime);
  const decayedDose = pet.doseBq * Math.exp((-Math.LN2 * dt) / pet.halfLife);
  const bqmlPerSuv = decayedDose / (pet.weightKg * 1000);
  const frameMs = 120000;
  return geo.planes.map((plane, k) => {
    const labels = sampleSlice(body.scene, plane);
    const rnd = rngFor(spec.seed, 'px', si, k);
    const suv = boxBlur(Float64Array.from(labels, (t) => PT_SUV[t]), cols, rows, 2);
    const bq = suv.map((x) => Math.max(0, x * (1 + 0.12 * gauss(rnd)) * bqmlPerSuv));
    const max = arrMax(bq, 1);
    const slope = max / 32767;
    const stored = bq.map((x) => x / slope);
    const bedOffsetMs = Math.floor(k / 60) * frameMs; // ~60 slices per bed position
    return {
      attrs: {
        ImageType: ['ORIGINAL', 'PRIMARY'],
        ...geometryAttrs(plane, geo.thickness, geo.normal),
        RescaleIntercept: '0',
        RescaleSlope: ds(Number(slope.toPrecision(8))),
        FrameReferenceTime: ds(bedOffsetMs + frameMs / 2),
        ActualFrameDuration: frameMs,
        DecayFactor: ds(round(Math.exp((Math.LN2 * (bedOffsetMs / 1000)) / pet.halfLife), 6)),
        ImageIndex: k + 1,
        WindowCenter: ds(round(2.5 * bqmlPerSuv, 2)),
        WindowWidth: ds(round(5 * bqmlPerSuv, 2)),
      },
      pixels: encode16(stored, 32767, 16),
    };
  });
}

function renderProjection(ctx: Ctx, region: Region, si: number): RenderedInstance[] {
  const { spec, body } = ctx;
  const s = spec.series[si];
  const { rows, cols } = imageSize(spec, s);
  const out: RenderedInstance[] = [];
  for (let k = 0; k < s.instances; k++) {
    const view = projectionView(spec.modality, region, s.description, si + k);
    const rnd = rngFor(spec.seed, 'px', si, k);
    if (spec.modality === 'NM') {
      const { plane, axis, tmin, tmax } = projectionPlane(region, view, rows, cols, 1.05);
      const counts = boxBlur(projectPlane(body.scene, plane, axis, NM_UPTAKE, tmin, tmax), cols, rows, 2);
      const scale = 1500 / arrMax(counts, 1e-9);
      const v = counts.map((x) => {
        const lambda = x * scale;
        return Math.max(0, lambda + Math.sqrt(lambda + 1) * gauss(rnd));
      });
      const hi = quantile(v, 0.99, 2);
      out.push({
        attrs: {
          ImageType: ['ORIGINAL', 'PRIMARY', 'STATIC', 'EMISSION'],
          PixelSpacing: [ds(plane.spacing), ds(plane.spacing)],
          PatientOrientation: [orientLetter(plane.row), orientLetter(plane.col)],
          WindowCenter: ds(Math.round(hi / 2)),
          WindowWidth: ds(Math.max(1, Math.round(hi))),
          CountsAccumulated: Math.round(v.reduce((a, b) => a + b, 0)),
        },
        pixels: encode16(v, 65535, 16),
      });
      continue;
    }
    const { plane, axis, tmin, tmax } = projectionPlane(region, view, rows, cols, 1.12);
    const line = projectPlane(body.scene, plane, axis, XRAY_MU, tmin, tmax);
    // log-detector radiograph: pixel value ~ line integral of attenuation (MONOCHROME2: bone bright)
    const pmax = arrMax(line, 1e-6) * 1.02;
    const v = Array.from(line, (x) => 150 + 3800 * (x / pmax) + gauss(rnd) * 14);
    const lo = 150;
    const hi = quantile(v, 0.995, 400);
    const limb = /^(knee|leg|thigh|hip|ankle|foot|shoulder|hand|wrist|forearm|elbow|arm)$/.test(region.kind);
    out.push({
      attrs: {
        ImageType: ['ORIGINAL', 'PRIMARY'],
        PatientOrientation: [orientLetter(plane.row), orientLetter(plane.col)],
        ViewPosition: view === 'LAT' ? 'LL' : view === 'AXIAL' ? 'AP' : view,
        ImageLaterality: limb ? (region.c[0] > 0 ? 'L' : 'R') : 'U',
        ImagerPixelSpacing: [ds(plane.spacing), ds(plane.spacing)],
        ...(spec.modality === 'CR' ? { PixelSpacing: [ds(plane.spacing), ds(plane.spacing)] } : {}),
        WindowCenter: ds(Math.round((lo + hi) / 2)),
        WindowWidth: ds(Math.max(1, Math.round(hi - lo))),
        KVP: ds(region.kind === 'chest' ? 120 : limb ? 60 : 80),
        ExposureTime: region.kind === 'chest' ? 10 : 40,
        XRayTubeCurrent: region.kind === 'chest' ? 320 : 200,
        DistanceSourceToDetector: ds(region.kind === 'chest' ? 1800 : 1000),
      },
      pixels: encode16(v, 4095, 12),
    });
  }
  return out;
}

function renderMG(ctx: Ctx, si: number): RenderedInstance[] {
  const { spec } = ctx;
  const s = spec.series[si];
  const { rows, cols } = imageSize(spec, s);
  const d = ` ${s.description.toUpperCase()} `;
  const out: RenderedInstance[] = [];
  for (let k = 0; k < s.instances; k++) {
    const idx = si * 7 + k;
    const lat: 'L' | 'R' = /\b(L|LEFT|LCC|LMLO)\b/.test(d) ? 'L' : /\b(R|RIGHT|RCC|RMLO)\b/.test(d) ? 'R' : idx % 2 === 0 ? 'R' : 'L';
    const mlo = /MLO/.test(d) ? true : /\bCC\b|RCC|LCC/.test(d) ? false : Math.floor(idx / 2) % 2 === 1;
    const breast = rngFor(spec.seed, 'breast', lat); // same breast in both views
    const rnd = rngFor(spec.seed, 'px', si, k);
    const spacing = round(240 / rows, 4); // 24 cm detector height
    const fovH = rows * spacing;
    const depth = between(breast, 0.45, 0.62) * cols * spacing; // chest wall to nipple, mm
    const halfH = (mlo ? 0.46 : 0.38) * fovH;
    const blobs = Array.from({ length: 48 }, () => ({
      u: between(breast, 0.05, 0.8),
      v: between(breast, -0.6, 0.6),
      s: between(breast, 0.04, 0.13),
      a: between(breast, 0.25, 0.7),
    }));
    const calcs = Array.from({ length: Math.floor(between(breast, 0, 6)) }, () => ({ u: between(breast, 0.2, 0.7), v: between(breast, -0.4, 0.4) }));
    const mass = breast() < 0.35 ? { u: between(breast, 0.3, 0.7), v: between(breast, -0.3, 0.3), r: between(breast, 0.05, 0.09) } : undefined;
    const v = new Float64Array(rows * cols);
    const density = between(breast, 0.6, 1.3);
    for (let rr = 0; rr < rows; rr++) {
      for (let cc = 0; cc < cols; cc++) {
        // u: distance from the chest wall (0..1 of depth), v: vertical offset (-1..1 of halfH)
        const xmm = (lat === 'R' ? cols - 1 - cc : cc) * spacing; // chest wall at image right for R (P\L), left for L (A\R)
        const ymm = (rr - (rows - 1) / 2) * spacing + (mlo ? fovH * 0.05 : 0);
        const u = xmm / depth;
        const vv = ymm / halfH;
        const rho = u * u + vv * vv;
        let val = gauss(rnd) * 6;
        if (rho < 1) {
          const thick = Math.sqrt(1 - rho);
          let dens = 0;
          for (const b of blobs) {
            const du = u - b.u;
            const dv = (vv - b.v) * 0.8;
            const q = (du * du + dv * dv) / (b.s * b.s);
            if (q < 9) dens += b.a * Math.exp(-q / 2);
          }
          dens = Math.min(1, dens * density * (1 - 0.6 * u));
          val += 900 + 400 * thick + 1500 * dens;
          if (rho > 0.985) val += 350; // skin line
          if (mlo && u < 0.32 * (1 - (vv + 1) / 1.25)) val = 1900 + 250 * thick + gauss(rnd) * 30; // pectoral muscle
          if (mass) {
            const q = ((u - mass.u) ** 2 + (vv - mass.v) ** 2) / (mass.r * mass.r);
            if (q < 1) val = Math.max(val, 2500 + 300 * (1 - q));
          }
          for (const c of calcs) if (Math.abs(u - c.u) * depth < spacing * 0.8 && Math.abs(vv - c.v) * halfH < spacing * 0.8) val = 3600;
          val += gauss(rnd) * 22;
        }
        v[rr * cols + cc] = val;
      }
    }
    const hi = quantile(v, 0.995, 300);
    out.push({
      attrs: {
        ImageType: ['ORIGINAL', 'PRIMARY'],
        ImageLaterality: lat,
        ViewPosition: mlo ? 'MLO' : 'CC',
        ViewCodeSequence: [
          mlo
            ? { CodeValue: '399368009', CodingSchemeDesignator: 'SCT', CodeMeaning: 'medio-lateral oblique' }
            : { CodeValue: '399162004', CodingSchemeDesignator: 'SCT', CodeMeaning: 'cranio-caudal' },
        ],
        PatientOrientation: mlo ? (lat === 'L' ? ['A', 'FR'] : ['P', 'FL']) : lat === 'L' ? ['A', 'R'] : ['P', 'L'],
        ImagerPixelSpacing: [ds(spacing), ds(spacing)],
        PositionerType: 'MAMMOGRAPHIC',
        PositionerPrimaryAngle: ds(mlo ? (lat === 'L' ? -45 : 45) : 0),
        BodyPartThickness: ds(Math.round(between(breast, 40, 65))),
        CompressionForce: ds(Math.round(between(breast, 80, 140))),
        KVP: ds(Math.round(between(breast, 27, 32))),
        DetectorType: 'DIRECT',
        DistanceSourceToDetector: ds(660),
        OrganExposed: 'BREAST',
        BreastImplantPresent: 'NO',
        PartialView: 'NO',
        WindowCenter: ds(Math.round((500 + hi) / 2)),
        WindowWidth: ds(Math.max(1, Math.round(hi - 500))),
      },
      pixels: encode16(v, 4095, 12),
    });
  }
  return out;
}

function renderUS(ctx: Ctx, region: Region, si: number): RenderedInstance[] {
  const { spec } = ctx;
  const s = spec.series[si];
  const { rows, cols } = imageSize(spec, s);
  const superficial = /^(neck|breast|knee|hand|wrist|elbow|ankle|foot|shoulder|arm|forearm|leg|thigh)$/.test(region.kind);
  const depthMm = superficial ? 50 : 160;
  const mmPerPx = depthMm / rows;
  const anatomy = rngFor(spec.seed, 'us', si);
  const cysts = Array.from({ length: 1 + Math.floor(anatomy() * 3) }, () => ({
    x: between(anatomy, -0.25, 0.25) * depthMm,
    y: between(anatomy, 0.35, 0.75) * depthMm,
    rx: between(anatomy, 0.05, 0.11) * depthMm,
    ry: between(anatomy, 0.04, 0.08) * depthMm,
  }));
  const stone = anatomy() < 0.4 ? { x: cysts[0].x, y: cysts[0].y + cysts[0].ry * 0.5, r: 0.015 * depthMm } : undefined;
  const boundary = between(anatomy, 0.8, 0.9) * depthMm;
  const halfAngle = superficial ? 0 : 0.62; // linear probe for small parts, curved otherwise
  const out: RenderedInstance[] = [];
  for (let k = 0; k < s.instances; k++) {
    const rnd = rngFor(spec.seed, 'px', si, k);
    const sweep = (k - (s.instances - 1) / 2) * 0.02 * depthMm; // probe sweep between frames
    const v = new Float64Array(rows * cols);
    const apexY = -0.08 * depthMm;
    for (let rr = 0; rr < rows; rr++) {
      for (let cc = 0; cc < cols; cc++) {
        const x = (cc - (cols - 1) / 2) * mmPerPx;
        const y = rr * mmPerPx;
        let inside: boolean;
        let depth: number;
        if (halfAngle > 0) {
          const dy = y - apexY;
          const rad = Math.hypot(x, dy);
          inside = Math.abs(Math.atan2(x, dy)) < halfAngle && rad > -apexY + 1 && rad < depthMm;
          depth = rad + apexY;
        } else {
          inside = Math.abs(x) < 0.42 * cols * mmPerPx;
          depth = y;
        }
        if (!inside) continue;
        let echo = depth < 1.5 ? 200 : depth < 0.08 * depthMm ? 70 : depth < 0.13 * depthMm ? 115 : 105;
        let shadow = 1;
        for (const c of cysts) {
          const q = ((x - c.x - sweep) / c.rx) ** 2 + ((depth - c.y) / c.ry) ** 2;
          if (q < 1) echo = 6;
          else if (Math.abs(x - c.x - sweep) < c.rx && depth > c.y) shadow *= 1.35; // posterior enhancement
          else if (q < 1.12) echo = 150;
        }
        if (stone) {
          const q = ((x - stone.x - sweep) / stone.r) ** 2 + ((depth - stone.y) / stone.r) ** 2;
          if (q < 1) echo = 250;
          else if (Math.abs(x - stone.x - sweep) < stone.r && depth > stone.y) shadow *= 0.25; // acoustic shadow
        }
        if (Math.abs(depth - boundary - 4 * Math.sin(x / 15)) < 1.2) echo = 230; // bright interface
        const speckle = Math.sqrt(-2 * Math.log(1 - rnd())) * 0.75;
        v[rr * cols + cc] = echo * shadow * speckle * (1.05 - 0.25 * (depth / depthMm)) + 4;
      }
    }
    const cm = mmPerPx / 10;
    out.push({
      attrs: {
        ImageType: ['ORIGINAL', 'PRIMARY'],
        SequenceOfUltrasoundRegions: [
          {
            RegionSpatialFormat: 1,
            RegionDataType: 1,
            RegionFlags: 0,
            RegionLocationMinX0: 0,
            RegionLocationMinY0: 0,
            RegionLocationMaxX1: cols - 1,
            RegionLocationMaxY1: rows - 1,
            ReferencePixelX0: Math.floor(cols / 2),
            ReferencePixelY0: 0,
            PhysicalUnitsXDirection: 3,
            PhysicalUnitsYDirection: 3,
            ReferencePixelPhysicalValueX: 0,
            ReferencePixelPhysicalValueY: 0,
            PhysicalDeltaX: cm,
            PhysicalDeltaY: cm,
          },
        ],
        TransducerData: superficial ? 'L12-5' : 'C5-1',
        TransducerType: superficial ? 'LINEAR' : 'CURVED LINEAR',
        ProcessingFunction: 'GEN',
        WindowCenter: '128',
        WindowWidth: '256',
      },
      pixels: encode8(v),
    });
  }
  return out;
}

// ================================================================== dataset assembly

const MANUFACTURER_MODEL: Record<Modality, string> = {
  CT: 'DEMO PHANTOM CT',
  MR: 'DEMO PHANTOM MR',
  CR: 'DEMO PHANTOM CR',
  DX: 'DEMO PHANTOM DR',
  US: 'DEMO PHANTOM US',
  MG: 'DEMO PHANTOM MAMMO',
  NM: 'DEMO PHANTOM GAMMA',
  PT: 'DEMO PHANTOM PET',
};

function writePart10(dataset: Record<string, unknown>, sopClassUid: string, sopInstanceUid: string, pixelVr: 'OW' | 'OB'): Buffer {
  const { DicomDict, DicomMetaDictionary } = dcmjs.data;
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: sopClassUid,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: IMPLEMENTATION_VERSION_NAME,
  };
  const clean: Record<string, unknown> = { _vrMap: { PixelData: pixelVr } };
  for (const [k, v] of Object.entries(dataset)) if (v !== undefined) clean[k] = v;
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(clean);
  return Buffer.from(dict.write());
}

/**
 * Builds every instance of one synthetic study. Pure and deterministic: the same spec gives
 * byte-identical Part-10 files; UIDs depend only on spec.seed and the series/instance indices.
 * Throws RangeError for values that would not be valid DICOM (e.g. an accession number > 16 chars).
 */
export function buildDemoStudy(spec: DemoStudySpec): DemoStudy {
  validateSpec(spec);
  const studyInstanceUid = demoUid(spec.seed, 1);
  const frameOfReferenceUid = demoUid(spec.seed, 4);
  const sopClassUid = SOP_CLASS[spec.modality];
  const studyRng = rngFor(spec.seed, 'study');
  const body = buildBody(spec.seed, spec.patient.sex);
  const region = regionFor(spec.bodyPart, spec.description, body);
  const studySec = tmToSeconds(spec.studyTime);
  const ctx: Ctx = {
    spec,
    body,
    pet: {
      doseBq: Math.round(between(studyRng, 250, 400)) * 1e6,
      weightKg: Math.round(between(studyRng, 52, 105)),
      injectionTime: secondsToTm(studySec - 3600),
      halfLife: 6586.2,
    },
  };
  const stationNo = 1 + Math.floor(studyRng() * 4);
  const studyId = String(1000 + Math.floor(studyRng() * 90000));
  const age = patientAge(spec.patient.birthDate, spec.studyDate);
  const crossSectional = spec.modality === 'CT' || spec.modality === 'MR' || spec.modality === 'PT';

  const common: Record<string, unknown> = {
    SpecificCharacterSet: 'ISO_IR 192',
    SOPClassUID: sopClassUid,
    SyntheticData: 'YES',
    StudyDate: spec.studyDate,
    StudyTime: spec.studyTime,
    AccessionNumber: spec.accessionNumber,
    Modality: spec.modality,
    Manufacturer: 'TELEREAD',
    InstitutionName: spec.institutionName,
    ReferringPhysicianName: spec.referringPhysician ?? '',
    StationName: `${spec.modality}${String(stationNo).padStart(2, '0')}`,
    StudyDescription: spec.description,
    InstitutionalDepartmentName: 'RADIOLOGY',
    ManufacturerModelName: MANUFACTURER_MODEL[spec.modality],
    SoftwareVersions: 'teleread demo-dicom 1',
    PatientName: spec.patient.name,
    PatientID: spec.patient.mrn,
    IssuerOfPatientID: spec.patient.issuer,
    PatientBirthDate: spec.patient.birthDate,
    PatientSex: spec.patient.sex,
    PatientAge: age,
    ...(spec.modality === 'PT' || spec.modality === 'NM' ? { PatientWeight: ds(ctx.pet.weightKg) } : {}),
    BodyPartExamined: spec.bodyPart,
    StudyInstanceUID: studyInstanceUid,
    StudyID: studyId,
    AcquisitionNumber: 1,
    ...(crossSectional ? { FrameOfReferenceUID: frameOfReferenceUid, PositionReferenceIndicator: '', PatientPosition: 'HFS' } : {}),
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    PixelRepresentation: 0,
    BurnedInAnnotation: 'NO',
    LossyImageCompression: '00',
  };
  const projectionX = spec.modality === 'DX' || spec.modality === 'MG';
  if (projectionX) {
    Object.assign(common, {
      PresentationIntentType: 'FOR PRESENTATION',
      PixelIntensityRelationship: 'LOG',
      PixelIntensityRelationshipSign: -1,
      RescaleIntercept: '0',
      RescaleSlope: '1',
      RescaleType: 'US',
      PresentationLUTShape: 'IDENTITY',
      DetectorType: 'SCINTILLATOR',
      QualityControlImage: 'NO',
    });
  }
  if (spec.modality === 'MG') {
    common.AnatomicRegionSequence = [{ CodeValue: '76752008', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Breast' }];
  }
  if (spec.modality === 'PT') {
    Object.assign(common, {
      Units: 'BQML',
      CountsSource: 'EMISSION',
      SeriesType: ['WHOLE BODY', 'IMAGE'],
      CorrectedImage: ['DECY', 'ATTN', 'SCAT', 'DTIM', 'RAN', 'NORM'],
      DecayCorrection: 'START',
      RandomsCorrectionMethod: 'DLYD',
      AttenuationCorrectionMethod: 'CT-based',
      ReconstructionMethod: 'OSEM',
      CollimatorType: 'NONE',
      PatientOrientationCodeSequence: [],
      PatientGantryRelationshipCodeSequence: [],
      RadiopharmaceuticalInformationSequence: [
        {
          Radiopharmaceutical: 'Fluorodeoxyglucose',
          RadiopharmaceuticalStartTime: ctx.pet.injectionTime,
          RadionuclideTotalDose: ds(ctx.pet.doseBq),
          RadionuclideHalfLife: ds(ctx.pet.halfLife),
          RadionuclidePositronFraction: ds(0.9673),
          RadionuclideCodeSequence: [],
        },
      ],
    });
  }
  if (spec.modality === 'NM') {
    Object.assign(common, {
      NumberOfFrames: 1,
      FrameIncrementPointer: [0x00540010, 0x00540020],
      EnergyWindowVector: [1],
      NumberOfEnergyWindows: 1,
      DetectorVector: [1],
      NumberOfDetectors: 1,
      PatientOrientationCodeSequence: [],
      PatientGantryRelationshipCodeSequence: [],
      EnergyWindowInformationSequence: [{ EnergyWindowName: 'TC99M', EnergyWindowRangeSequence: [{ EnergyWindowLowerLimit: ds(126), EnergyWindowUpperLimit: ds(154) }] }],
      RadiopharmaceuticalInformationSequence: [{ Radiopharmaceutical: 'Tc-99m MDP', RadionuclideTotalDose: ds(740) }],
      DetectorInformationSequence: [{ CollimatorType: 'PARA', CollimatorGridName: 'LEHR', FieldOfViewShape: 'RECTANGLE', ZoomFactor: [ds(1), ds(1)] }],
    });
  }

  const instances: DemoInstance[] = [];
  spec.series.forEach((series, si) => {
    const seriesInstanceUid = demoUid(spec.seed, 2, si + 1);
    let rendered: RenderedInstance[];
    switch (spec.modality) {
      case 'CT':
        rendered = renderCT(ctx, region, si);
        break;
      case 'MR':
        rendered = renderMR(ctx, region, si);
        break;
      case 'PT':
        rendered = renderPT(ctx, region, si);
        break;
      case 'MG':
        rendered = renderMG(ctx, si);
        break;
      case 'US':
        rendered = renderUS(ctx, region, si);
        break;
      default:
        rendered = renderProjection(ctx, region, si);
    }
    const seriesSec = studySec + 120 * si;
    const { rows, cols } = imageSize(spec, series);
    rendered.forEach((inst, k) => {
      const sopInstanceUid = demoUid(spec.seed, 3, si + 1, k + 1);
      const contentTime = secondsToTm(seriesSec + (crossSectional ? Math.floor(k / 4) : 15 * k));
      const px = inst.pixels;
      const dataset: Record<string, unknown> = {
        ...common,
        SOPInstanceUID: sopInstanceUid,
        SeriesDate: spec.studyDate,
        AcquisitionDate: spec.studyDate,
        ContentDate: spec.studyDate,
        SeriesTime: secondsToTm(seriesSec),
        AcquisitionTime: contentTime,
        ContentTime: contentTime,
        SeriesDescription: series.description,
        SeriesInstanceUID: seriesInstanceUid,
        SeriesNumber: si + 1,
        InstanceNumber: k + 1,
        ...(spec.modality === 'PT' ? { NumberOfSlices: rendered.length } : {}),
        ...inst.attrs,
        Rows: rows,
        Columns: cols,
        BitsAllocated: px.bits,
        BitsStored: px.bitsStored,
        HighBit: px.bitsStored - 1,
        PixelData: [px.data],
      };
      instances.push({
        sopInstanceUid,
        seriesInstanceUid,
        sopClassUid,
        part10: writePart10(dataset, sopClassUid, sopInstanceUid, px.bits === 8 ? 'OB' : 'OW'),
      });
    });
  });
  return { studyInstanceUid, instances };
}
