import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { MultipartError, parseMultipartContentType, receiveMultipart, type ReceivedPart } from './multipart-related.js';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'teleread-mp-'));
afterAll(() => fs.rm(dir, { recursive: true, force: true }));
let n = 0;
const newPath = () => path.join(dir, `p${n++}`);

async function collect(body: Buffer, boundary: string, chunkSize = 7) {
  const chunks: Buffer[] = [];
  for (let i = 0; i < body.length; i += chunkSize) chunks.push(body.subarray(i, i + chunkSize));
  const parts: (ReceivedPart & { content: Buffer })[] = [];
  await receiveMultipart(Readable.from(chunks), boundary, newPath, async (p) => {
    parts.push({ ...p, content: await fs.readFile(p.path) });
    await fs.rm(p.path);
  });
  return parts;
}

describe('parseMultipartContentType', () => {
  it('reads quoted and unquoted parameters in any order, including a quoted type with ";"', () => {
    expect(parseMultipartContentType('multipart/related; type="application/dicom"; boundary="a b"')).toEqual({ boundary: 'a b', type: 'application/dicom' });
    expect(parseMultipartContentType('Multipart/Related;boundary=xyz;type=application/dicom')).toEqual({ boundary: 'xyz', type: 'application/dicom' });
    expect(parseMultipartContentType('multipart/related; type="application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1"; boundary=q').type).toBe(
      'application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1',
    );
    expect(() => parseMultipartContentType('application/json')).toThrow(MultipartError);
    expect(() => parseMultipartContentType('multipart/related; type="application/dicom"')).toThrow(/boundary/);
  });
});

describe('receiveMultipart', () => {
  const binary = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 31) % 256));
  // A part body that contains the boundary text without the leading CRLF must survive.
  const tricky = Buffer.concat([Buffer.from('--BOUNDARY-not-really\r\n'), binary]);
  const body = Buffer.concat([
    Buffer.from('preamble\r\n--BOUNDARY\r\nContent-Type: application/dicom\r\n\r\n'),
    binary,
    Buffer.from('\r\n--BOUNDARY  \r\ncontent-type: application/dicom\r\nX-Extra: 1\r\n\r\n'),
    tricky,
    Buffer.from('\r\n--BOUNDARY--\r\nepilogue'),
  ]);

  for (const size of [1, 7, 64, 100_000]) {
    it(`splits parts byte-exactly with ${size}-byte network chunks`, async () => {
      const parts = await collect(body, 'BOUNDARY', size);
      expect(parts.map((p) => p.headers['content-type'])).toEqual(['application/dicom', 'application/dicom']);
      expect(parts[0].content.equals(binary)).toBe(true);
      expect(parts[1].content.equals(tricky)).toBe(true);
      expect(parts[1].headers['x-extra']).toBe('1');
      expect(parts.map((p) => p.index)).toEqual([1, 2]);
    });
  }

  it('accepts a body that starts with the boundary (no preamble, no leading CRLF)', async () => {
    const parts = await collect(Buffer.from('--b\r\nContent-Type: application/dicom\r\n\r\nhello\r\n--b--'), 'b');
    expect(parts.map((p) => p.content.toString())).toEqual(['hello']);
  });

  it('hands over the complete parts and then fails when the upload is cut off', async () => {
    const cut = body.subarray(0, body.length - 100);
    const parts: string[] = [];
    await expect(
      receiveMultipart(Readable.from([cut]), 'BOUNDARY', newPath, async (p) => {
        parts.push(p.path);
      }),
    ).rejects.toThrow(/cut off/);
    expect(parts).toHaveLength(1);
    // Only the handed-over part's file remains (the consumer owns it); the partial one is gone.
    const left = await fs.readdir(dir);
    expect(left.map((f) => path.join(dir, f))).toEqual(parts);
    await fs.rm(parts[0]);
  });

  it('fails on a body without any boundary', async () => {
    await expect(collect(Buffer.from('just some bytes'), 'BOUNDARY')).rejects.toThrow(/no boundary/);
  });
});
