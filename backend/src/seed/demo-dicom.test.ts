import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import dcmjs from 'dcmjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemoStudy, demoUid, type DemoInstance, type DemoStudySpec } from './demo-dicom.js';

const UID_RE = /^[0-9]+(\.[0-9]+)*$/;

function expectValidUid(uid: string): void {
  expect(uid).toMatch(UID_RE);
  expect(uid.length).toBeLessThanOrEqual(64);
  for (const comp of uid.split('.')) expect(comp === '0' || !comp.startsWith('0'), `leading zero in ${uid}`).toBe(true);
}

function baseSpec(over: Partial<DemoStudySpec> = {}): DemoStudySpec {
  return {
    seed: 42,
    patient: { mrn: 'MRN0042', name: 'DOE^JANE', birthDate: '19610305', sex: 'F', issuer: 'HOSP1' },
    accessionNumber: 'ACC00042',
    studyDate: '20240311',
    studyTime: '143015',
    modality: 'CT',
    bodyPart: 'HEAD',
    description: 'CT HEAD WITHOUT CONTRAST',
    institutionName: 'ST. ELSEWHERE GENERAL',
    referringPhysician: 'HOUSE^GREGORY^^DR',
    series: [{ description: 'AXIAL 5MM', instances: 12 }],
    ...over,
  };
}

/** One small study of every modality (series chosen to exercise the different render paths). */
const PER_MODALITY: DemoStudySpec[] = [
  baseSpec({ seed: 101, modality: 'CT', bodyPart: 'CHEST', description: 'CT CHEST W CONTRAST', series: [{ description: 'SCOUT', instances: 1 }, { description: 'AXIAL 5MM', instances: 8 }, { description: 'COR MPR', instances: 3 }] }),
  baseSpec({ seed: 102, modality: 'MR', bodyPart: 'BRAIN', description: 'MRI BRAIN W/WO CONTRAST', series: [{ description: 'AX T2', instances: 4 }, { description: 'SAG T1', instances: 3 }, { description: 'AX DWI', instances: 2 }] }),
  baseSpec({ seed: 103, modality: 'CR', bodyPart: 'CHEST', description: 'XR CHEST 2 VIEWS', series: [{ description: 'PA', instances: 1 }, { description: 'LAT', instances: 1 }] }),
  baseSpec({ seed: 104, modality: 'DX', bodyPart: 'HAND', description: 'XR HAND LEFT', series: [{ description: 'PA', instances: 1 }] }),
  baseSpec({ seed: 105, modality: 'US', bodyPart: 'ABDOMEN', description: 'US ABDOMEN COMPLETE', series: [{ description: 'LIVER', instances: 2 }] }),
  baseSpec({ seed: 106, modality: 'MG', bodyPart: 'BREAST', description: 'MAMMO SCREENING BILATERAL', series: [{ description: 'R CC', instances: 1 }, { description: 'L MLO', instances: 1 }] }),
  baseSpec({ seed: 107, modality: 'NM', bodyPart: 'WHOLEBODY', description: 'NM BONE SCAN WHOLE BODY', series: [{ description: 'ANT', instances: 1 }] }),
  baseSpec({ seed: 108, modality: 'PT', bodyPart: 'WHOLEBODY', description: 'PET CT FDG WHOLE BODY', series: [{ description: 'PET AC', instances: 5 }] }),
];

const SOP_CLASS: Record<DemoStudySpec['modality'], string> = {
  CT: '1.2.840.10008.5.1.4.1.1.2',
  MR: '1.2.840.10008.5.1.4.1.1.4',
  CR: '1.2.840.10008.5.1.4.1.1.1',
  DX: '1.2.840.10008.5.1.4.1.1.1.1',
  US: '1.2.840.10008.5.1.4.1.1.6.1',
  MG: '1.2.840.10008.5.1.4.1.1.1.2',
  NM: '1.2.840.10008.5.1.4.1.1.20',
  PT: '1.2.840.10008.5.1.4.1.1.128',
};

type Nat = Record<string, any>;
function read(inst: DemoInstance): { meta: Nat; ds: Nat } {
  const ab = inst.part10.buffer.slice(inst.part10.byteOffset, inst.part10.byteOffset + inst.part10.byteLength) as ArrayBuffer;
  const dict = dcmjs.data.DicomMessage.readFile(ab);
  return {
    meta: dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.meta) as Nat,
    ds: dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict) as Nat,
  };
}
const pn = (v: unknown): string => {
  const x = Array.isArray(v) ? v[0] : v;
  return typeof x === 'string' ? x : ((x as { Alphabetic?: string } | undefined)?.Alphabetic ?? '');
};
const nums = (v: unknown): number[] => (Array.isArray(v) ? v : [v]).map(Number);
function pixels16(ds: Nat): Uint16Array {
  const buf = ds.PixelData[0] as ArrayBuffer;
  return new Uint16Array(buf.slice(0));
}

describe('demoUid', () => {
  it('gives valid, deterministic, distinct UIDs', () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 50; seed++) {
      for (let s = 1; s <= 10; s++) {
        for (let i = 1; i <= 20; i++) {
          const uid = demoUid(seed, 3, s, i);
          expectValidUid(uid);
          seen.add(uid);
        }
      }
    }
    expect(seen.size).toBe(50 * 10 * 20);
    expect(demoUid(7, 1)).toBe(demoUid(7, 1));
    expect(demoUid(1, 12)).not.toBe(demoUid(11, 2));
    expect(demoUid(1, 1, 2)).not.toBe(demoUid(1, 12));
    expect(demoUid(1)).not.toBe(demoUid(1, 0));
    expect(demoUid(1, 1)).toMatch(/^2\.25\.[1-9][0-9]*$/);
    expect(() => demoUid(Number.NaN)).toThrow(RangeError);
  });
});

describe('buildDemoStudy', () => {
  it('is deterministic: same spec, byte-identical files; different seed, different UIDs and pixels', () => {
    const a = buildDemoStudy(baseSpec());
    const b = buildDemoStudy(baseSpec());
    expect(a.studyInstanceUid).toBe(b.studyInstanceUid);
    expect(a.instances).toHaveLength(12);
    a.instances.forEach((inst, i) => {
      expect(inst.sopInstanceUid).toBe(b.instances[i].sopInstanceUid);
      expect(inst.part10.equals(b.instances[i].part10)).toBe(true);
    });

    const c = buildDemoStudy(baseSpec({ seed: 43 }));
    expect(c.studyInstanceUid).not.toBe(a.studyInstanceUid);
    const uidsA = new Set(a.instances.flatMap((x) => [x.sopInstanceUid, x.seriesInstanceUid]));
    for (const x of c.instances) {
      expect(uidsA.has(x.sopInstanceUid)).toBe(false);
      expect(uidsA.has(x.seriesInstanceUid)).toBe(false);
    }
    expect(Buffer.from(read(a.instances[6]).ds.PixelData[0]).equals(Buffer.from(read(c.instances[6]).ds.PixelData[0]))).toBe(false);
    expect(a.studyInstanceUid).toBe(demoUid(42, 1));
    expect(a.instances[0].seriesInstanceUid).toBe(demoUid(42, 2, 1));
    expect(a.instances[3].sopInstanceUid).toBe(demoUid(42, 3, 1, 4));
  });

  it('rejects values that would not be valid DICOM', () => {
    expect(() => buildDemoStudy(baseSpec({ accessionNumber: 'A'.repeat(17) }))).toThrow(/accessionNumber/);
    expect(() => buildDemoStudy(baseSpec({ studyDate: '20240230' }))).toThrow(/studyDate/);
    expect(() => buildDemoStudy(baseSpec({ studyTime: '256000' }))).toThrow(/studyTime/);
    expect(() => buildDemoStudy(baseSpec({ bodyPart: 'head' }))).toThrow(/bodyPart/);
    expect(() => buildDemoStudy(baseSpec({ series: [] }))).toThrow(/series/);
    expect(() => buildDemoStudy(baseSpec({ series: [{ description: 'X', instances: 0 }] }))).toThrow(/instances/);
  });

  it.each(PER_MODALITY.map((s) => [s.modality, s] as const))('%s: valid Part-10 with the expected modules (dcmjs round trip)', (modality, spec) => {
    const study = buildDemoStudy(spec);
    const expected = spec.series.reduce((n, s) => n + s.instances, 0);
    expect(study.instances).toHaveLength(expected);
    expectValidUid(study.studyInstanceUid);
    const sops = new Set<string>();
    let idx = 0;
    spec.series.forEach((series, si) => {
      for (let k = 0; k < series.instances; k++, idx++) {
        const inst = study.instances[idx];
        expectValidUid(inst.sopInstanceUid);
        expectValidUid(inst.seriesInstanceUid);
        sops.add(inst.sopInstanceUid);
        expect(inst.sopClassUid).toBe(SOP_CLASS[modality]);
        // Part 10 framing
        expect(inst.part10.subarray(0, 128).every((b) => b === 0)).toBe(true);
        expect(inst.part10.subarray(128, 132).toString('latin1')).toBe('DICM');

        const { meta, ds } = read(inst);
        expect(meta.TransferSyntaxUID).toBe('1.2.840.10008.1.2.1');
        expect(meta.MediaStorageSOPClassUID).toBe(SOP_CLASS[modality]);
        expect(meta.MediaStorageSOPInstanceUID).toBe(inst.sopInstanceUid);
        expectValidUid(meta.ImplementationClassUID);

        // patient / study / series / instance
        expect(ds.SpecificCharacterSet).toBe('ISO_IR 192');
        expect(pn(ds.PatientName)).toBe(spec.patient.name);
        expect(ds.PatientID).toBe(spec.patient.mrn);
        expect(ds.IssuerOfPatientID).toBe(spec.patient.issuer);
        expect(ds.PatientBirthDate).toBe(spec.patient.birthDate);
        expect(ds.PatientSex).toBe(spec.patient.sex);
        expect(ds.StudyInstanceUID).toBe(study.studyInstanceUid);
        expect(ds.StudyDate).toBe(spec.studyDate);
        expect(ds.StudyTime).toBe(spec.studyTime);
        expect(ds.AccessionNumber).toBe(spec.accessionNumber);
        expect(ds.StudyDescription).toBe(spec.description);
        expect(pn(ds.ReferringPhysicianName)).toBe(spec.referringPhysician);
        expect(String(ds.StudyID)).toMatch(/^\d+$/);
        expect(ds.SeriesInstanceUID).toBe(inst.seriesInstanceUid);
        expect(ds.Modality).toBe(modality);
        expect(Number(ds.SeriesNumber)).toBe(si + 1);
        expect(ds.SeriesDescription).toBe(series.description);
        expect(ds.BodyPartExamined).toBe(spec.bodyPart);
        expect(ds.SOPClassUID).toBe(SOP_CLASS[modality]);
        expect(ds.SOPInstanceUID).toBe(inst.sopInstanceUid);
        expect(Number(ds.InstanceNumber)).toBe(k + 1);
        expect(ds.InstitutionName).toBe(spec.institutionName);
        expect(ds.SyntheticData).toBe('YES');

        // image pixel module
        const size = { CT: 128, MR: 128, PT: 128, NM: 128, US: 128, CR: 256, DX: 256, MG: 256 }[modality];
        expect(ds.Rows).toBe(size);
        expect(ds.Columns).toBe(size);
        expect(ds.SamplesPerPixel).toBe(1);
        expect(ds.PhotometricInterpretation).toBe('MONOCHROME2');
        expect(ds.PixelRepresentation).toBe(0);
        const bits = modality === 'US' ? 8 : 16;
        expect(ds.BitsAllocated).toBe(bits);
        expect([8, 12, 16]).toContain(ds.BitsStored);
        expect(ds.HighBit).toBe(ds.BitsStored - 1);
        expect((ds.PixelData[0] as ArrayBuffer).byteLength).toBe(size * size * (bits / 8));
        expect(nums(ds.WindowCenter).length).toBeGreaterThanOrEqual(1);
        expect(nums(ds.WindowWidth).every((w) => w > 0)).toBe(true);

        if (modality === 'CT' || modality === 'MR' || modality === 'PT') {
          expect(nums(ds.ImagePositionPatient)).toHaveLength(3);
          expect(nums(ds.ImageOrientationPatient)).toHaveLength(6);
          expect(nums(ds.PixelSpacing)).toHaveLength(2);
          expect(ds.FrameOfReferenceUID).toBe(demoUid(spec.seed, 4));
        }
        if (modality === 'CT') {
          expect(Number(ds.RescaleIntercept)).toBe(series.description === 'SCOUT' ? 0 : -1024);
          expect(Number(ds.RescaleSlope)).toBe(1);
        }
      }
    });
    expect(sops.size).toBe(expected);
  });

  it('CT: realistic Hounsfield units, consistent slice geometry, anatomy changes with the slice', () => {
    const spec = baseSpec({ seed: 7, bodyPart: 'CHEST', description: 'CT CHEST WITHOUT CONTRAST', series: [{ description: 'AXIAL 5MM', instances: 20 }] });
    const slices = buildDemoStudy(spec).instances.map((i) => read(i).ds);
    const z = slices.map((d) => nums(d.ImagePositionPatient)[2]);
    const steps = z.slice(1).map((v, i) => z[i] - v);
    for (const s of steps) expect(s).toBeCloseTo(steps[0], 3);
    expect(steps[0]).toBeGreaterThanOrEqual(Number(slices[0].SliceThickness));
    for (const d of slices) {
      expect(nums(d.ImageOrientationPatient)).toEqual([1, 0, 0, 0, 1, 0]);
      expect(Number(d.SliceLocation)).toBeCloseTo(nums(d.ImagePositionPatient)[2], 3);
    }
    expect(nums(slices[0].WindowCenter)).toEqual([40, -600]);
    expect(nums(slices[0].WindowWidth)).toEqual([400, 1500]);

    const mid = slices[10];
    const hu = Array.from(pixels16(mid), (v) => v * Number(mid.RescaleSlope) + Number(mid.RescaleIntercept));
    const at = (r: number, c: number) => hu[r * 128 + c];
    expect(at(0, 0)).toBeLessThan(-950); // air outside the patient
    expect(Math.max(...hu)).toBeGreaterThan(500); // bone
    const count = (lo: number, hi: number) => hu.filter((v) => v >= lo && v <= hi).length;
    expect(count(-950, -700)).toBeGreaterThan(500); // lung parenchyma
    expect(count(-160, -50)).toBeGreaterThan(200); // subcutaneous fat
    expect(count(10, 80)).toBeGreaterThan(1000); // soft tissue
    expect(Buffer.from(slices[2].PixelData[0]).equals(Buffer.from(slices[10].PixelData[0]))).toBe(false);
  });

  it('writes UTF-8 person names with ISO_IR 192', () => {
    const spec = baseSpec({ patient: { mrn: 'X1', name: 'MÜLLER^JÖRG', birthDate: '19500101', sex: 'M', issuer: 'KLINIKUM' }, series: [{ description: 'AXIAL', instances: 1 }] });
    const ds = read(buildDemoStudy(spec).instances[0]).ds;
    expect(pn(ds.PatientName)).toBe('MÜLLER^JÖRG');
    expect(ds.PatientAge).toBe('074Y');
  });
});

describe('validation by dcmtk (independent parser)', () => {
  let dir: string;
  const files: Array<{ file: string; spec: DemoStudySpec }> = [];
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'demo-dicom-'));
    for (const spec of PER_MODALITY) {
      const study = buildDemoStudy(spec);
      // first and last instance of each study
      for (const inst of [study.instances[0], study.instances[study.instances.length - 1]]) {
        const file = path.join(dir, `${spec.modality}-${inst.sopInstanceUid}.dcm`);
        writeFileSync(file, inst.part10);
        files.push({ file, spec });
      }
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('dcmdump parses every file cleanly and shows PatientID and Modality', () => {
    for (const { file, spec } of files) {
      const r = spawnSync('dcmdump', [file], { encoding: 'utf8' });
      expect(r.error, 'dcmdump must be installed (apt-get install dcmtk)').toBeUndefined();
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain('# Dicom-Meta-Information-Header');
      expect(r.stdout).toMatch(/\(0002,0010\) UI =LittleEndianExplicit/);
      expect(r.stdout).toContain(`(0010,0020) LO [${spec.patient.mrn}]`);
      expect(r.stdout).toContain(`(0008,0060) CS [${spec.modality}]`);
    }
  });

  it('dcm2json converts and dcmj2pnm decodes the pixel data of every file', () => {
    for (const { file, spec } of files) {
      const json = JSON.parse(execFileSync('dcm2json', [file], { encoding: 'utf8' })) as Record<string, { Value?: unknown[] }>;
      expect(json['00100020'].Value).toEqual([spec.patient.mrn]);
      expect(json['00080060'].Value).toEqual([spec.modality]);
      const r = spawnSync('dcmj2pnm', [file, `${file}.pgm`], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    }
  });
});

describe('a typical demo mix of 50 studies', () => {
  it('stays small and never reuses a UID', () => {
    const kinds: Array<Pick<DemoStudySpec, 'modality' | 'bodyPart' | 'description' | 'series'>> = [
      { modality: 'CT', bodyPart: 'HEAD', description: 'CT HEAD WITHOUT CONTRAST', series: [{ description: 'SCOUT', instances: 1 }, { description: 'AXIAL 5MM', instances: 20 }] },
      { modality: 'CT', bodyPart: 'CHEST', description: 'CTA PULMONARY', series: [{ description: 'AXIAL 2.5MM', instances: 24 }] },
      { modality: 'CT', bodyPart: 'ABDOMEN', description: 'CT ABDOMEN PELVIS W CONTRAST', series: [{ description: 'AXIAL PORTAL VENOUS', instances: 24 }] },
      { modality: 'MR', bodyPart: 'BRAIN', description: 'MRI BRAIN WITHOUT CONTRAST', series: [{ description: 'AX T2', instances: 14 }, { description: 'AX FLAIR', instances: 14 }] },
      { modality: 'MR', bodyPart: 'KNEE', description: 'MRI KNEE RIGHT', series: [{ description: 'SAG PD FS', instances: 14 }] },
      { modality: 'CR', bodyPart: 'CHEST', description: 'XR CHEST 2 VIEWS', series: [{ description: 'PA', instances: 1 }, { description: 'LAT', instances: 1 }] },
      { modality: 'DX', bodyPart: 'KNEE', description: 'XR KNEE LEFT', series: [{ description: 'AP', instances: 1 }, { description: 'LAT', instances: 1 }] },
      { modality: 'DX', bodyPart: 'CHEST', description: 'DX CHEST PA', series: [{ description: 'PA', instances: 1 }] },
      { modality: 'US', bodyPart: 'ABDOMEN', description: 'US ABDOMEN COMPLETE', series: [{ description: 'B-MODE', instances: 4 }] },
      { modality: 'MG', bodyPart: 'BREAST', description: 'MAMMO SCREENING BILATERAL', series: ['R CC', 'L CC', 'R MLO', 'L MLO'].map((d) => ({ description: d, instances: 1 })) },
    ];
    const extra: Array<Pick<DemoStudySpec, 'modality' | 'bodyPart' | 'description' | 'series'>> = [
      { modality: 'PT', bodyPart: 'WHOLEBODY', description: 'PET CT FDG WHOLE BODY', series: [{ description: 'PET AC', instances: 40 }] },
      { modality: 'NM', bodyPart: 'WHOLEBODY', description: 'NM BONE SCAN WHOLE BODY', series: [{ description: 'ANT', instances: 1 }, { description: 'POST', instances: 1 }] },
    ];
    const specs: DemoStudySpec[] = [];
    for (let n = 0; n < 50; n++) {
      const kind = n >= 48 ? extra[n - 48] : kinds[n % kinds.length];
      specs.push(baseSpec({ ...kind, seed: 1000 + n, accessionNumber: `ACC${1000 + n}`, patient: { mrn: `MRN${n % 30}`, name: `PATIENT^${n % 30}`, birthDate: '19700101', sex: n % 2 ? 'M' : 'F', issuer: 'HOSP1' } }));
    }
    let bytes = 0;
    let count = 0;
    const uids = new Set<string>();
    for (const spec of specs) {
      const study = buildDemoStudy(spec);
      expect(uids.has(study.studyInstanceUid)).toBe(false);
      uids.add(study.studyInstanceUid);
      for (const inst of study.instances) {
        expect(uids.has(inst.sopInstanceUid)).toBe(false);
        uids.add(inst.sopInstanceUid);
        uids.add(inst.seriesInstanceUid);
        bytes += inst.part10.length;
        count++;
      }
    }
    console.info(`typical mix: 50 studies, ${count} instances, ${(bytes / 1048576).toFixed(1)} MiB`);
    expect(bytes).toBeLessThan(30 * 1024 * 1024);
  }, 120_000);
});
