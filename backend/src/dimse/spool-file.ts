import { createWriteStream, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

/**
 * One C-STORE data set on its way to disk: a Writable that dcmjs-dimse feeds with
 * the P-DATA fragments, writing them (after a Part-10 header) to a temp file.
 *
 * - `done` resolves once every byte is on disk and the file is closed; it rejects
 *   when the stream failed or was destroyed first.
 * - Destroying it before it finished (client gone mid-transfer, disk error) closes
 *   and deletes the file; `discard()` also deletes a finished file nobody adopted.
 * - `onPressure` is called whenever write() returns false, so the owner can pause
 *   the socket until 'drain' (dcmjs-dimse itself ignores write()'s return value
 *   after the first fragment).
 */
export class SpoolFile extends Writable {
  readonly done: Promise<void>;
  private readonly file: WriteStream;
  private discarded = false;

  constructor(
    readonly path: string,
    header: Buffer,
    private readonly onPressure: (spool: SpoolFile) => void,
    highWaterMark = 1 << 20,
  ) {
    super({ highWaterMark });
    this.file = createWriteStream(path, { flags: 'wx' });
    this.file.on('error', (err) => this.destroy(err));
    this.file.write(header);
    // Errors surface through `done`; without a listener an 'error' event would crash the process.
    this.on('error', () => undefined);
    this.done = finished(this, { readable: false });
    this.done.catch(() => undefined);
  }

  override write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
    const ok = super.write(chunk, encoding as BufferEncoding, callback as (error: Error | null | undefined) => void);
    if (!ok && !this.destroyed) this.onPressure(this);
    return ok;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.file.write(chunk, callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    // One fs write per buffered fragment; the callback of the last one means all are written.
    chunks.forEach(({ chunk }, i) => this.file.write(chunk, i === chunks.length - 1 ? callback : undefined));
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.file.once('close', () => callback(this.file.errored));
    this.file.end();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.writableFinished) return callback(error);
    // Unfinished: the data set never arrived completely, so the partial file must go.
    this.closeFile()
      .then(() => fs.rm(this.path, { force: true }))
      .then(
        () => callback(error),
        (err: Error) => callback(error ?? err),
      );
  }

  /** Deletes the file (finished or not); for data sets that will not be ingested. */
  async discard(): Promise<void> {
    if (this.discarded) return;
    this.discarded = true;
    if (!this.writableFinished) {
      this.destroy();
      await this.done.catch(() => undefined);
      await this.closeFile();
    }
    await fs.rm(this.path, { force: true });
  }

  get isDiscarded(): boolean {
    return this.discarded;
  }

  private closeFile(): Promise<void> {
    if (this.file.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.file.once('close', () => resolve());
      this.file.destroy();
    });
  }
}
