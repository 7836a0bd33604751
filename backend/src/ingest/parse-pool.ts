import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { writeDurable } from '../storage/durable-write.js';
import { DicomRejection, parseInstance, type ParsedInstance } from './dicom-instance.js';

export interface ParseRequest {
  id: number;
  bytes: ArrayBuffer;
  length: number;
  /** After a successful parse, write the bytes durably to this new file (see writeDurable). */
  writeTo?: string;
}

export type ParseReply = { id: number } & (
  | { ok: true; parsed: Omit<ParsedInstance, 'json'> & { json: undefined }; jsonText: string; sha256: string; writeError?: string }
  | { ok: false; rejection: { reason: number; message: string; sopInstanceUid?: string; sopClassUid?: string } }
  | { ok: false; error: string }
);

export interface Parsed {
  parsed: ParsedInstance;
  sha256: string;
  sizeBytes: number;
}

/** The bytes parsed but could not be written to `writeTo`. */
export class WriteFailed extends Error {
  constructor(
    message: string,
    readonly parsed: ParsedInstance,
  ) {
    super(message);
  }
}

/**
 * Parsing, hashing and (for bytes held in memory) the durable write of received instances
 * on worker threads, one per core: the main thread keeps receiving meanwhile, and hands each
 * instance over with one message instead of several file system calls. `parse` throws
 * DicomRejection like parseInstance (nothing is written then), and WriteFailed. Without the
 * compiled worker (tests run the TypeScript sources) or with no workers, it runs here.
 */
export class ParsePool {
  /** Live workers and how many requests each has outstanding. */
  private readonly workers = new Map<Worker, number>();
  private readonly pending = new Map<number, { resolve: (r: ParseReply) => void; reject: (err: unknown) => void; worker: Worker }>();
  private nextId = 0;
  private closed = false;
  private readonly script: URL | null;
  private readonly execArgv: string[] | undefined;

  /** `worker`: another worker script (and node options for it), for tests that run it from TypeScript. */
  constructor(
    private readonly size = Math.min(4, os.availableParallelism()),
    worker: { script: URL; execArgv?: string[] } = { script: new URL('./parse-worker.js', import.meta.url) },
  ) {
    this.script = size > 0 && fs.existsSync(worker.script) ? worker.script : null;
    this.execArgv = worker.execArgv;
  }

  get threaded(): boolean {
    return this.script !== null;
  }

  /**
   * `give`: the caller gives `data` up (its memory moves to the worker, no copy; the buffer is
   * empty afterwards). Otherwise the worker gets a copy. `writeTo`: see ParseRequest. Callers
   * bound how many requests are outstanding (IngestPipeline); each goes to the least busy worker.
   */
  async parse(data: Buffer, options: { give?: boolean; writeTo?: string } = {}): Promise<Parsed> {
    const sizeBytes = data.byteLength; // `data` is empty once its memory has moved
    if (!this.script || this.closed) return inline(data, options.writeTo);
    const worker = this.pick();
    const own = options.give === true && data.byteOffset === 0 && sizeBytes === data.buffer.byteLength && data.buffer instanceof ArrayBuffer;
    const bytes = own ? (data.buffer as ArrayBuffer) : new Uint8Array(data).buffer;
    const id = this.nextId++;
    this.workers.set(worker, this.workers.get(worker)! + 1);
    let reply: ParseReply;
    try {
      reply = await new Promise<ParseReply>((resolve, reject) => {
        this.pending.set(id, { resolve, reject, worker });
        worker.postMessage({ id, bytes, length: sizeBytes, writeTo: options.writeTo } satisfies ParseRequest, [bytes]);
      });
    } finally {
      const outstanding = this.workers.get(worker);
      if (outstanding !== undefined) this.workers.set(worker, outstanding - 1);
    }
    if (reply.ok) {
      const parsed: ParsedInstance = { ...reply.parsed, json: JSON.parse(reply.jsonText) };
      if (reply.writeError !== undefined) throw new WriteFailed(reply.writeError, parsed);
      return { parsed, sha256: reply.sha256, sizeBytes };
    }
    if ('rejection' in reply) {
      const r = reply.rejection;
      throw new DicomRejection(r.reason, r.message, r.sopInstanceUid, r.sopClassUid);
    }
    throw new Error(`parse worker: ${reply.error}`);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.workers.keys()].map((w) => w.terminate()));
  }

  private pick(): Worker {
    let best: Worker | undefined;
    let least = Infinity;
    for (const [worker, outstanding] of this.workers) {
      if (outstanding < least) [best, least] = [worker, outstanding];
    }
    return best && (least === 0 || this.workers.size >= this.size) ? best : this.spawn();
  }

  private spawn(): Worker {
    const worker = new Worker(this.script!, this.execArgv ? { execArgv: this.execArgv } : undefined);
    worker.unref(); // never keeps the process alive
    this.workers.set(worker, 0);
    worker.on('message', (reply: ParseReply) => {
      const p = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      p?.resolve(reply);
    });
    const fail = (err: unknown) => {
      // A dead worker fails what it was doing; the next parse starts a new one.
      this.workers.delete(worker);
      for (const [id, p] of this.pending) {
        if (p.worker !== worker) continue;
        this.pending.delete(id);
        p.reject(err);
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`parse worker exited with code ${code}`)));
    return worker;
  }
}

async function inline(file: Buffer, writeTo: string | undefined): Promise<Parsed> {
  const parsed = parseInstance(file);
  const sha256 = createHash('sha256').update(file).digest('hex');
  if (writeTo) {
    try {
      await writeDurable(writeTo, file);
    } catch (err) {
      throw new WriteFailed((err as Error).message, parsed);
    }
  }
  return { parsed, sha256, sizeBytes: file.byteLength };
}
