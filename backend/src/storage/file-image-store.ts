import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AdoptOptions, ImageStore, StoredObject } from './image-store.js';

/**
 * Part-10 files under one root directory. put() streams into a temp file in the
 * same file system, fsyncs it, renames it into place and fsyncs the directory,
 * so a crash leaves either the old state or the complete new file.
 */
export class FileImageStore implements ImageStore {
  private readonly tmpDir: string;
  /** Directories known to exist (a study's series folder receives hundreds of files). */
  private readonly knownDirs = new Set<string>();
  /** Per directory: the fsync running now, and the one queued for renames that happened since it started. */
  private readonly dirSyncs = new Map<string, { running: Promise<void>; queued: Promise<void> | null }>();

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
  async adopt(key: string, localPath: string, options: AdoptOptions = {}): Promise<void> {
    await this.place(key, localPath, options, (from, to) => fs.rename(from, to));
  }

  /** fsync + link (fails if the target exists) + unlink: create-if-absent, atomically. */
  async adoptIfAbsent(key: string, localPath: string, options: AdoptOptions = {}): Promise<boolean> {
    try {
      await this.place(key, localPath, options, async (from, to) => {
        try {
          await fs.link(from, to);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw err;
          // A file system without hard links: check, then rename (not atomic, but no worse than before).
          if (await this.exists(key)) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
          await fs.rename(from, to);
          return;
        }
        await fs.unlink(from);
      });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
  }

  private async place(key: string, localPath: string, options: AdoptOptions, move: (from: string, to: string) => Promise<void>): Promise<void> {
    const target = this.resolve(key);
    const dir = path.dirname(target);
    if (!options.synced) {
      const handle = await fs.open(localPath, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    if (!this.knownDirs.has(dir)) await fs.mkdir(dir, { recursive: true });
    try {
      await move(localPath, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !this.knownDirs.has(dir)) throw err;
      this.knownDirs.delete(dir); // removed behind our back: create it again
      await fs.mkdir(dir, { recursive: true });
      await move(localPath, target);
    }
    this.knownDirs.add(dir);
    if (this.knownDirs.size > 10_000) this.knownDirs.clear();
    await this.syncDir(dir);
  }

  /**
   * Makes the renames into `dir` durable. Concurrent callers share fsyncs: whoever arrives
   * while one runs waits for the next one, which covers every rename done before it starts.
   */
  private syncDir(dir: string): Promise<void> {
    const fsyncDir = async () => {
      const handle = await fs.open(dir, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    };
    const start = (): Promise<void> => {
      const running = fsyncDir().finally(() => {
        const state = this.dirSyncs.get(dir);
        if (state?.running === running && !state.queued) this.dirSyncs.delete(dir);
      });
      return running;
    };
    const state = this.dirSyncs.get(dir);
    if (!state) {
      const running = start();
      this.dirSyncs.set(dir, { running, queued: null });
      return running;
    }
    if (state.queued) return state.queued;
    const queued = state.running
      .catch(() => undefined)
      .then(() => {
        state.queued = null;
        state.running = start();
        return state.running;
      });
    state.queued = queued;
    return queued;
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
