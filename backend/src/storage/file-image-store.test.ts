import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, describe, expect, it } from 'vitest';
import { FileImageStore } from './file-image-store.js';
import { instanceKey } from './image-store.js';

const root = await fs.mkdtemp(path.join(os.tmpdir(), 'teleread-store-'));
afterAll(() => fs.rm(root, { recursive: true, force: true }));

describe('FileImageStore', () => {
  const store = new FileImageStore(root);
  const key = instanceKey('0b6f1f5e-4a55-4d7e-9d0c-3b1c2a6b7e11', '1.2.3', '1.2.3.4', '1.2.3.4.5');

  it('stores a stream, reports size and SHA-256, reads it back', async () => {
    const body = 'DICM'.repeat(10_000);
    const result = await store.put(key, Readable.from([Buffer.from(body.slice(0, 7)), Buffer.from(body.slice(7))]));
    expect(result).toEqual({ sizeBytes: body.length, sha256: createHash('sha256').update(body).digest('hex') });
    expect(await text(store.read(key))).toBe(body);
    expect(await store.exists(key)).toBe(true);
  });

  it('leaves no partial file when the source fails midway', async () => {
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(1024));
        this.destroy(new Error('client went away'));
      },
    });
    const other = instanceKey('0b6f1f5e-4a55-4d7e-9d0c-3b1c2a6b7e11', '1.2.3', '1.2.3.4', '1.2.3.4.6');
    await expect(store.put(other, failing)).rejects.toThrow('client went away');
    expect(await store.exists(other)).toBe(false);
    expect(await fs.readdir(path.join(root, '.tmp'))).toEqual([]);
  });

  it('refuses keys that are not UIDs or escape the root', async () => {
    expect(() => instanceKey('0b6f1f5e-4a55-4d7e-9d0c-3b1c2a6b7e11', '../etc', '1', '1')).toThrow(/UID/);
    await expect(store.put('../outside.dcm', Buffer.from('x'))).rejects.toThrow(/escapes/);
  });
});
