import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import dcmjs from 'dcmjs';
import dicomParser from 'dicom-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { datasetDict } from './dataset-dict.js';
import { pixelDataTagOffset, toDicomJson } from './dicom-instance.js';

const PEERS = '/work/shared/peers';
const walk = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.dcm') ? [path.join(dir, e.name)] : []));

// Generated studies besides the public samples: every modality, both syntaxes, names with
// non-ASCII letters (UTF-8).
const generated = fs.mkdtempSync(path.join(os.tmpdir(), 'teleread-dataset-dict-'));
afterAll(() => fs.rmSync(generated, { recursive: true, force: true }));
for (const [name, extra] of [
  ['mix', ['--studies', '5', '--modality', 'MIX', '--patient-name', 'MÜLLER^Zoë']],
  ['implicit', ['--studies', '2', '--modality', 'MIX', '--ts', 'implicit']],
] as const) {
  execFileSync(process.execPath, [path.join(PEERS, 'gen-study.mjs'), '--out', path.join(generated, name), '--seed', name, '--slices', '2', '--rows', '32', '--cols', '32', '--quiet', ...extra]);
}
const files = [...walk(path.join(PEERS, 'data/real')), ...walk(generated)];

/** The DICOM JSON both ways, as the index stores it (JSON text). */
function both(file: Buffer) {
  const ds = dicomParser.parseDicom(new Uint8Array(file.buffer, file.byteOffset, file.byteLength));
  const pixel = ds.elements.x7fe00010;
  const end = pixel ? pixelDataTagOffset(new Uint8Array(file.buffer, file.byteOffset, file.byteLength), pixel.dataOffset) : file.length;
  const fast = datasetDict(ds, file, end, ds.string('x00020010')!);
  const header = file.buffer.slice(file.byteOffset, file.byteOffset + end) as ArrayBuffer;
  const slow = dcmjs.data.DicomMessage.readFile(header, { untilTag: '7FE00010', includeUntilTagValue: false }).dict;
  return { fast: fast && JSON.stringify(toDicomJson(fast)), slow: JSON.stringify(toDicomJson(slow as never)) };
}

describe('datasetDict', () => {
  const results = files.flatMap((f) => {
    try {
      return [{ name: path.relative(PEERS, f), ...both(fs.readFileSync(f)) }];
    } catch {
      return []; // files neither can read (the odd ones) are rejected before this point
    }
  });

  it('gives exactly what dcmjs gives, for every file it takes', () => {
    for (const r of results) if (r.fast !== null) expect(r.fast, r.name).toBe(r.slow);
  });

  it('takes the usual files (explicit VR; default, Latin-1 and UTF-8 names; sequences) and leaves implicit VR to dcmjs', () => {
    const taken = new Set(results.filter((r) => r.fast !== null).map((r) => path.basename(r.name)));
    for (const name of ['ct_512_explicit_le.dcm', 'ct_512_j2k_lossy.dcm', 'charset_latin1_german.dcm', 'charset_utf8_chinese.dcm', 'sr_comprehensive.dcm', 'ct_enhanced_multiframe2.dcm']) {
      expect(taken, name).toContain(name);
    }
    expect(results.filter((r) => r.name.includes('/mix/')).every((r) => r.fast !== null)).toBe(true);
    expect(results.filter((r) => r.name.includes('/implicit/')).every((r) => r.fast === null)).toBe(true);
    expect(taken.has('mr_small_implicit_le.dcm')).toBe(false);
  });
});
