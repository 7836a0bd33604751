import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DicomRejection, parseInstance } from './dicom-instance.js';
import { ParsePool, WriteFailed } from './parse-pool.js';

const REAL = '/work/shared/peers/data/real';
const valid = ['ct_512_explicit_le.dcm', 'mr_small_implicit_le.dcm', 'charset_latin1_german.dcm', 'sr_comprehensive.dcm', 'us_multiframe2_rle_palette.dcm'];
const odd = ['truncated_pixeldata.dcm', 'meta_missing_tsuid.dcm', 'no_file_meta.dcm', 'j2k_pixeldata_too_short.dcm', 'bad_vr.dcm'].map((f) => `odd/${f}`);
const read = (name: string) => fs.readFileSync(path.join(REAL, name));

// The worker is TypeScript here (the build compiles it to parse-worker.js): run it through jiti
// when the package is installed (it comes with Prisma's config loader).
let jiti = false;
try {
  // 'jiti/register' is import-only: resolve the package, then look for the file.
  const pkg = createRequire(import.meta.url).resolve('jiti/package.json');
  jiti = fs.existsSync(path.join(path.dirname(pkg), 'lib/jiti-register.mjs'));
} catch {
  /* worker tests skipped below */
}
const pool = new ParsePool(2, { script: new URL('./parse-worker.ts', import.meta.url), execArgv: ['--import', 'jiti/register'] });
afterAll(() => pool.close());

describe.skipIf(!jiti)('ParsePool on worker threads', () => {
  it('runs on workers', () => expect(pool.threaded).toBe(true));

  it('parses, hashes and writes like the calling thread would', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'teleread-parse-pool-'));
    try {
      const results = await Promise.all(
        [...valid, ...valid].map(async (name, i) => {
          const original = read(name);
          const data = Buffer.from(original); // its own memory: given up to the worker
          const writeTo = path.join(dir, String(i));
          return { name, original, writeTo, ...(await pool.parse(data, { give: true, writeTo })) };
        }),
      );
      for (const r of results) {
        expect(fs.readFileSync(r.writeTo).equals(r.original), r.name).toBe(true);
        expect(r.sizeBytes).toBe(r.original.length);
        expect(r.sha256).toBe(createHash('sha256').update(r.original).digest('hex'));
        const inline = parseInstance(r.original);
        expect(r.parsed).toEqual(inline);
        // What the index stores is the same text either way.
        expect(JSON.stringify(r.parsed.json)).toBe(JSON.stringify(inline.json));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves the caller’s buffer alone when it is not given up, and writes nothing unasked', async () => {
    const data = read(valid[0]);
    const copy = Buffer.from(data);
    const r = await pool.parse(data);
    expect(data.equals(copy)).toBe(true);
    expect(r.sizeBytes).toBe(copy.length);
  });

  it('reports a failed write with what was parsed', async () => {
    const data = read(valid[0]);
    const err = await pool.parse(data, { writeTo: '/nonexistent-dir/x' }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(WriteFailed);
    expect((err as WriteFailed).parsed.sopInstanceUid).toBe(parseInstance(data).sopInstanceUid);
  });

  it('rejects malformed files with the same reason and message', async () => {
    for (const name of odd) {
      const inline = (() => {
        try {
          parseInstance(read(name));
        } catch (err) {
          return err as DicomRejection;
        }
        throw new Error(`${name} parsed`);
      })();
      const threaded = await pool.parse(read(name), { give: true, writeTo: '/nonexistent-dir/never-written' }).then(
        () => null,
        (err: unknown) => err,
      );
      expect(threaded, name).toBeInstanceOf(DicomRejection);
      expect({ ...(threaded as DicomRejection), message: (threaded as DicomRejection).message }).toEqual({ ...inline, message: inline.message });
    }
  });
});

describe('ParsePool without workers', () => {
  it('parses on the calling thread', async () => {
    const inline = new ParsePool(0);
    expect(inline.threaded).toBe(false);
    const data = read(valid[1]);
    const r = await inline.parse(data, { give: true });
    expect(r.sizeBytes).toBe(data.length);
    expect(r.parsed.sopInstanceUid).toBe(parseInstance(data).sopInstanceUid);
  });
});
