import { createWriteStream, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import type { Readable } from 'node:stream';

export class MultipartError extends Error {}

/** Parses `multipart/related; type="application/dicom"; boundary=...` (quoted or not, any order). */
export function parseMultipartContentType(header: string | undefined): { boundary: string; type: string | null } {
  if (!header || !/^\s*multipart\/related\s*(;|$)/i.test(header)) {
    throw new MultipartError('Content-Type must be multipart/related; type="application/dicom"; boundary=...');
  }
  const params = new Map<string, string>();
  // name=value or name="quoted; value" — a quoted type may itself contain ';' (Orthanc does that).
  for (const m of header.matchAll(/;\s*([A-Za-z0-9_-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^;]*)/g)) {
    params.set(m[1].toLowerCase(), (m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[2]).trim());
  }
  const boundary = params.get('boundary');
  if (!boundary || boundary.length > 200) throw new MultipartError('multipart/related Content-Type has no valid boundary parameter');
  return { boundary, type: params.get('type') ?? null };
}

/**
 * Finds a delimiter in a stream of chunks, like streamsearch (same callback: content before each
 * match, then content known not to start one), with Buffer.indexOf: the native search runs
 * several times faster than a Boyer-Moore-Horspool loop in JavaScript over every uploaded byte.
 * Only bytes at a chunk's end that could begin the delimiter are carried into the next chunk.
 */
class BoundarySearch {
  private tail: Buffer | null = null;

  constructor(
    private readonly needle: Buffer,
    private readonly cb: (isMatch: boolean, data: Buffer | undefined, start: number, end: number) => void,
  ) {}

  push(chunk: Buffer): void {
    const needle = this.needle;
    // Rarely needed (a chunk ending like the start of a delimiter): then search across the seam.
    const data = this.tail ? Buffer.concat([this.tail, chunk]) : chunk;
    this.tail = null;
    let pos = 0;
    for (let i = data.indexOf(needle, pos); i !== -1; i = data.indexOf(needle, pos)) {
      this.cb(true, data, pos, i);
      pos = i + needle.length;
    }
    // The shortest end of the data that could still become a delimiter stays for the next chunk.
    let keep = data.length;
    for (let p = Math.max(pos, data.length - needle.length + 1); p < data.length; p++) {
      if (data[p] === needle[0] && data.compare(needle, 0, data.length - p, p) === 0) {
        keep = p;
        break;
      }
    }
    if (keep > pos) this.cb(false, data, pos, keep);
    if (keep < data.length) this.tail = Buffer.from(data.subarray(keep));
  }
}

export interface ReceivedPart {
  index: number;
  headers: Record<string, string>;
  /** Where the part's body was written (the consumer owns the file). */
  path: string;
  size: number;
  /** The same bytes in memory when the part is at most MEMORY_PART_LIMIT bytes (saves reading the file back). */
  data?: Buffer;
}

export interface ReceiveOptions {
  /**
   * false: parts held in memory (`data`) are not written to `path` at all; the consumer
   * stores the bytes itself (STOW-RS writes them straight into the image store).
   */
  writeMemoryParts?: boolean;
}

const HEADER_LIMIT = 16 * 1024;
/** Parts up to this size are collected in memory and written with one call; larger ones stream to disk. */
export const MEMORY_PART_LIMIT = 32 * 1024 * 1024;
const CRLFCRLF = Buffer.from('\r\n\r\n');

/**
 * Streams a multipart body to disk, one file per part, and hands each finished
 * part to `onPart` in order (awaited, so a slow consumer slows the upload instead
 * of buffering it). Memory stays at one network chunk whatever the request size.
 * Tolerates a first boundary without leading CRLF, transport padding after
 * boundaries and parts without Content-Length. Throws MultipartError when the
 * body is cut off; parts completed before that have already been handed over.
 */
export async function receiveMultipart(
  source: Readable | AsyncIterable<Buffer>,
  boundary: string,
  newPath: () => string,
  onPart: (part: ReceivedPart) => Promise<void>,
  options: ReceiveOptions = {},
): Promise<number> {
  const writeMemoryParts = options.writeMemoryParts ?? true;
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  type State = 'preamble' | 'boundary' | 'headers' | 'body' | 'done';
  let state = 'preamble' as State;
  let before = 'preamble' as State; // where a candidate boundary was found
  let pending = Buffer.alloc(0); // bytes after a candidate boundary, until it is confirmed
  let segment = 0;
  let headerBytes = Buffer.alloc(0);
  let headers: Record<string, string> = {};
  let out: WriteStream | null = null;
  let outPath = '';
  let size = 0;
  /** Body of the current part while it is small enough to keep in memory; null once it streams to disk. */
  let memory: Buffer[] | null = null;
  let failure: Error | null = null;
  const ready: (ReceivedPart & { flushed: Promise<void> })[] = [];

  const openOut = () => {
    out = createWriteStream(outPath);
    out.on('error', (err) => (failure ??= err));
  };
  const writeBody = (chunk: Buffer) => {
    size += chunk.length;
    if (memory) {
      memory.push(chunk);
      if (size <= MEMORY_PART_LIMIT) return;
      // Too big to keep: from here on the part streams to its file.
      openOut();
      for (const c of memory) out!.write(c);
      memory = null;
      return;
    }
    out!.write(chunk);
  };
  const startPart = () => {
    segment++;
    headerBytes = Buffer.alloc(0);
    headers = {};
    state = 'headers';
  };
  const onHeaders = (chunk: Buffer) => {
    headerBytes = Buffer.concat([headerBytes, chunk]);
    // No header lines at all: the body starts right after one CRLF.
    const end = headerBytes.subarray(0, 2).toString('latin1') === '\r\n' ? -2 : headerBytes.indexOf(CRLFCRLF);
    if (end === -1) {
      if (headerBytes.length > HEADER_LIMIT) failure ??= new MultipartError(`part ${segment}: headers exceed ${HEADER_LIMIT} bytes`);
      return;
    }
    if (end >= 0) {
      for (const line of headerBytes.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
    }
    const rest = headerBytes.subarray(end + 4);
    outPath = newPath();
    out = null;
    memory = [];
    size = 0;
    state = 'body';
    if (rest.length) writeBody(rest);
  };
  const closePart = () => {
    if (memory) {
      const data = Buffer.concat(memory, size);
      memory = null;
      ready.push({ index: segment, headers, path: outPath, size, data, flushed: writeMemoryParts ? fs.writeFile(outPath, data) : Promise.resolve() });
      return;
    }
    const stream = out!;
    const flushed = new Promise<void>((resolve, reject) => {
      stream.once('finish', resolve);
      stream.once('error', reject);
      stream.end();
    });
    ready.push({ index: segment, headers, path: outPath, size, flushed });
    out = null;
  };
  /** After "CRLF--boundary": "--" ends the body, optional padding + CRLF starts a part, anything else was content. */
  const decide = () => {
    const text = pending.toString('latin1');
    if (text.startsWith('--')) {
      if (before === 'body') closePart();
      state = 'done';
      return;
    }
    const confirmed = /^[ \t]*\r\n/.exec(text);
    if (confirmed) {
      if (before === 'body') closePart();
      if (before === 'headers') failure ??= new MultipartError(`part ${segment}: boundary inside the header section`);
      const rest = pending.subarray(confirmed[0].length);
      pending = Buffer.alloc(0);
      startPart();
      if (rest.length) onData(rest);
      return;
    }
    if (/^[ \t]*\r?$/.test(text) || text === '-') return; // need more bytes
    // Not a boundary after all: the bytes belong to what came before.
    const content = Buffer.concat([delimiter, pending]);
    pending = Buffer.alloc(0);
    state = before;
    onData(content);
  };
  const onData = (chunk: Buffer) => {
    switch (state) {
      case 'body':
        return writeBody(chunk);
      case 'headers':
        return onHeaders(chunk);
      case 'boundary':
        pending = Buffer.concat([pending, chunk]);
        return decide();
      default:
        return; // preamble and epilogue are ignored
    }
  };
  let pushed: Buffer | null = null;
  const search = new BoundarySearch(delimiter, (isMatch, data, start, end) => {
    // A slice of the chunk being pushed is ours to keep; the search's carried-over bytes: copy those.
    if (data && end > start) onData(data === pushed ? data.subarray(start, end) : Buffer.from(data.subarray(start, end)));
    if (!isMatch || state === 'done') return;
    if (state === 'boundary') onData(delimiter); // two delimiters in a row: settle the first
    before = state;
    state = 'boundary';
    pending = Buffer.alloc(0);
  });

  const drain = async () => {
    while (ready.length) {
      const part = ready.shift()!;
      await part.flushed;
      await onPart({ index: part.index, headers: part.headers, path: part.path, size: part.size, ...(part.data ? { data: part.data } : {}) });
    }
  };

  try {
    // A leading CRLF lets a boundary at the very start match like every other one.
    search.push(Buffer.from('\r\n'));
    for await (const chunk of source) {
      pushed = chunk as Buffer;
      search.push(pushed);
      pushed = null;
      if (failure) throw failure;
      const current = out as WriteStream | null;
      if (current?.writableNeedDrain) await new Promise<void>((r) => current.once('drain', () => r()));
      await drain();
      if (state === 'done') break;
    }
    if (failure) throw failure;
    await drain();
    if (state !== 'done') {
      throw new MultipartError(segment === 0 ? 'multipart body has no boundary delimiter' : 'multipart body ended before its closing boundary (upload cut off)');
    }
    return segment;
  } finally {
    // Files not handed over (an unfinished part, parts queued behind a failure) are removed.
    await Promise.all(ready.map((p) => p.flushed.catch(() => undefined)));
    const leftovers = ready.map((p) => p.path);
    const dangling = out as WriteStream | null;
    if (dangling) {
      await new Promise<void>((r) => dangling.end(() => r()));
      leftovers.push(outPath);
    }
    await Promise.all(leftovers.map((p) => fs.rm(p, { force: true })));
  }
}
