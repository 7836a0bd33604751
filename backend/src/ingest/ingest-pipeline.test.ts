import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { receiveMultipart } from '../common/multipart-related.js';
import { IngestPipeline } from './ingest-pipeline.js';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'teleread-pipeline-'));
afterAll(() => fs.rm(dir, { recursive: true, force: true }));
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('IngestPipeline', () => {
  it('runs at most maxTasks at once and lets push() return only when there is room', async () => {
    const pipeline = new IngestPipeline(3);
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    for (let i = 0; i < 10; i++) {
      await pipeline.push(1, async () => {
        running++;
        peak = Math.max(peak, running);
        await tick();
        running--;
        done.push(i);
      });
      expect(running).toBeLessThan(3);
    }
    await pipeline.drain();
    expect(peak).toBe(3);
    expect(done.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('bounds the bytes in flight', async () => {
    const pipeline = new IngestPipeline(100, 10);
    let inFlight = 0;
    let peak = 0;
    for (let i = 0; i < 6; i++) {
      await pipeline.push(4, async () => {
        inFlight += 4;
        peak = Math.max(peak, inFlight);
        await tick();
        inFlight -= 4;
      });
    }
    await pipeline.drain();
    expect(peak).toBeLessThanOrEqual(12); // two of 4 bytes below the limit, the third reaches it
  });

  it('reports the first failure after every task has finished', async () => {
    const pipeline = new IngestPipeline(4);
    let finished = 0;
    await pipeline.push(1, async () => {
      await tick();
      throw new Error('boom');
    });
    await pipeline.push(1, async () => {
      await tick();
      await tick();
      finished++;
    });
    await expect(pipeline.drain()).rejects.toThrow('boom');
    expect(finished).toBe(1);
    await expect(pipeline.push(1, async () => undefined)).rejects.toThrow('boom');
  });
});

describe('receiveMultipart hands small parts over in memory too', () => {
  it('gives each part the bytes it wrote to its file', async () => {
    const a = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
    const b = Buffer.from('second part\r\n--not-the-boundary');
    const body = Buffer.concat([
      Buffer.from('--XB\r\nContent-Type: application/dicom\r\n\r\n'),
      a,
      Buffer.from('\r\n--XB\r\nContent-Type: application/dicom\r\n\r\n'),
      b,
      Buffer.from('\r\n--XB--\r\n'),
    ]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < body.length; i += 1000) chunks.push(body.subarray(i, i + 1000));
    let n = 0;
    const seen: { data?: Buffer; file: Buffer }[] = [];
    await receiveMultipart(Readable.from(chunks), 'XB', () => path.join(dir, `p${n++}`), async (part) => {
      seen.push({ data: part.data, file: await fs.readFile(part.path) });
    });
    expect(seen).toHaveLength(2);
    expect(seen[0].file.equals(a)).toBe(true);
    expect(seen[0].data?.equals(a)).toBe(true);
    expect(seen[1].data?.equals(b)).toBe(true);
  });
});
