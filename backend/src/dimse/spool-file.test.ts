import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SpoolFile } from './spool-file.js';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'teleread-spool-'));
afterAll(() => fs.rm(dir, { recursive: true, force: true }));
let n = 0;
const spoolPath = () => path.join(dir, `spool-${++n}`);

describe('SpoolFile', () => {
  it('writes the header and every fragment in order; done resolves when the file is complete', async () => {
    const p = spoolPath();
    const spool = new SpoolFile(p, Buffer.from('HEAD'), () => undefined);
    for (let i = 0; i < 100; i++) spool.write(Buffer.from(`-${i}`));
    spool.end();
    await spool.done;
    expect(await fs.readFile(p, 'utf8')).toBe(`HEAD${Array.from({ length: 100 }, (_, i) => `-${i}`).join('')}`);
  });

  it('reports pressure when more than its high-water mark is buffered, then drains', async () => {
    const pressured: SpoolFile[] = [];
    const spool = new SpoolFile(spoolPath(), Buffer.alloc(0), (s) => pressured.push(s), 64 * 1024);
    const ok = [spool.write(Buffer.alloc(48 * 1024)), spool.write(Buffer.alloc(48 * 1024))];
    expect(ok).toEqual([true, false]);
    expect(pressured).toEqual([spool]);
    await new Promise((resolve) => spool.once('drain', resolve));
    spool.end();
    await spool.done;
  });

  it('deletes the partial file when destroyed before the end (client gone mid-transfer)', async () => {
    const p = spoolPath();
    const spool = new SpoolFile(p, Buffer.from('HEAD'), () => undefined);
    spool.write(Buffer.alloc(100_000));
    spool.destroy();
    await expect(spool.done).rejects.toThrow(); // settles only after the file is gone
    await expect(fs.access(p)).rejects.toThrow();
  });

  it('discard() deletes a finished file that will not be ingested, and an unfinished one', async () => {
    for (const finish of [true, false]) {
      const p = spoolPath();
      const spool = new SpoolFile(p, Buffer.from('HEAD'), () => undefined);
      spool.write(Buffer.from('data'));
      if (finish) {
        spool.end();
        await spool.done;
      }
      await spool.discard();
      expect(spool.isDiscarded).toBe(true);
      await expect(fs.access(p)).rejects.toThrow();
    }
  });

  it('fails (done rejects, nothing left) when the file cannot be created', async () => {
    const spool = new SpoolFile(path.join(dir, 'missing-dir', 'x'), Buffer.from('HEAD'), () => undefined);
    spool.write(Buffer.from('data'));
    spool.end();
    await expect(spool.done).rejects.toThrow(/ENOENT/);
  });
});
