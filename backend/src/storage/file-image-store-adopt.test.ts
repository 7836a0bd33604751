import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileImageStore } from './file-image-store.js';
import { instanceKey } from './image-store.js';

const root = await fs.mkdtemp(path.join(os.tmpdir(), 'teleread-adopt-'));
afterAll(() => fs.rm(root, { recursive: true, force: true }));
const store = new FileImageStore(root);
const hospital = '0b6f1f5e-4a55-4d7e-9d0c-3b1c2a6b7e11';
const local = async (name: string, content: string) => {
  const p = path.join(root, name);
  await fs.writeFile(p, content);
  return p;
};

describe('FileImageStore.adoptIfAbsent', () => {
  it('places a file only when nothing is stored under the key, and leaves the loser where it was', async () => {
    const key = instanceKey(hospital, '1.2', '1.2.3', '1.2.3.4');
    const first = await local('first', 'one');
    expect(await store.adoptIfAbsent(key, first)).toBe(true);
    await expect(fs.access(first)).rejects.toThrow();
    const second = await local('second', 'two');
    expect(await store.adoptIfAbsent(key, second)).toBe(false);
    expect(await fs.readFile(second, 'utf8')).toBe('two');
    expect(await fs.readFile(path.join(root, key), 'utf8')).toBe('one');
    // adopt() replaces.
    await store.adopt(key, second);
    expect(await fs.readFile(path.join(root, key), 'utf8')).toBe('two');
  });

  it('stores many files into one folder concurrently (shared directory fsyncs), and recreates a folder removed behind its back', async () => {
    const keys = Array.from({ length: 50 }, (_, i) => instanceKey(hospital, '1.3', '1.3.1', `1.3.1.${i}`));
    const paths = await Promise.all(keys.map((_, i) => local(`c${i}`, `content ${i}`)));
    expect(await Promise.all(keys.map((k, i) => store.adoptIfAbsent(k, paths[i])))).toEqual(keys.map(() => true));
    for (const [i, k] of keys.entries()) expect(await fs.readFile(path.join(root, k), 'utf8')).toBe(`content ${i}`);
    await fs.rm(path.join(root, hospital, '1.3'), { recursive: true });
    const again = await local('again', 'x');
    expect(await store.adoptIfAbsent(keys[0], again)).toBe(true);
    expect(await fs.readFile(path.join(root, keys[0]), 'utf8')).toBe('x');
  });
});
