import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ImageStore, StoredObject } from './image-store.js';

/**
 * Part-10 files under one root directory. put() streams into a temp file in the
 * same file system, fsyncs it, renames it into place and fsyncs the directory,
 * so a crash leaves either the old state or the complete new file.
 */
export class FileImageStore implements ImageStore {
  private readonly tmpDir: string;

  constructor(private readonly root: string) {
    this.tmpDir = path.join(root, '.tmp');
  }

  private resolve(key: string): string {
    const full = path.resolve(this.root, key);
    if (!full.startsWith(path.resolve(this.root) + path.sep)) throw new Error(`storage key escapes the store: ${key}`);
    return full;
  }

  async put(key: string, data: Buffer | Readable): Promise<StoredObject> {
    this.resolve(key); // validate before writing anything
    await fs.mkdir(this.tmpDir, { recursive: true });
    const tmp = path.join(this.tmpDir, randomUUID());
    const hash = createHash('sha256');
    let sizeBytes = 0;
    const measure = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        sizeBytes += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(Buffer.isBuffer(data) ? Readable.from([data]) : data, measure, createWriteStream(tmp, { flags: 'wx' }));
      await this.adopt(key, tmp);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
    return { sizeBytes, sha256: hash.digest('hex') };
  }

  /** fsync + rename: the file must be on the store's file system (see incoming dirs). */
  async adopt(key: string, localPath: string): Promise<void> {
    const target = this.resolve(key);
    await fs.mkdir(path.dirname(target), { recursive: true });
    const handle = await fs.open(localPath, 'r');
    await handle.sync();
    await handle.close();
    await fs.rename(localPath, target);
    const dir = await fs.open(path.dirname(target), 'r');
    await dir.sync();
    await dir.close();
  }

  read(key: string, range?: { start: number; end: number }): Readable {
    if (range && range.end <= range.start) return Readable.from([]);
    return createReadStream(this.resolve(key), range ? { start: range.start, end: range.end - 1 } : undefined);
  }

  async exists(key: string): Promise<boolean> {
    return fs.access(this.resolve(key)).then(
      () => true,
      () => false,
    );
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.resolve(key), { force: true });
  }
}
