import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import type { Response } from 'express';
import { canonicalMediaType } from './transfer-syntax.js';

/** One media range of an Accept header, with DICOMweb's multipart/related parameters unpacked. */
export interface AcceptedRange {
  /** true: multipart/related (or multipart/*); false: a single-part type; null: any (*\/*). */
  multipart: boolean | null;
  /** Requested (part) media type, lower-case; null when any type will do. A trailing '/*' is a wildcard. */
  type: string | null;
  /** transfer-syntax parameter: undefined when absent, '*' for "as stored". */
  transferSyntax?: string;
  q: number;
}

/** Splits on `sep` outside double quotes. */
function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"' && s[i - 1] !== '\\') quoted = !quoted;
    if (c === sep && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function parseParams(parts: string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const p of parts) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    let value = p.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    params[p.slice(0, eq).trim().toLowerCase()] = value;
  }
  return params;
}

/**
 * Parses an Accept header. Tolerates what DICOMweb clients send: `type` quoted or not,
 * `transfer-syntax` as its own parameter or inside the quoted type (Orthanc's style,
 * `type="application/octet-stream; transfer-syntax=*"`). Highest q first; q=0 dropped.
 * An absent or empty header accepts anything.
 */
export function parseAccept(header: string | undefined): AcceptedRange[] {
  if (!header || !header.trim()) return [{ multipart: null, type: null, q: 1 }];
  const ranges: AcceptedRange[] = [];
  for (const raw of splitOutsideQuotes(header, ',')) {
    const [mediaRaw, ...paramParts] = splitOutsideQuotes(raw, ';');
    const media = mediaRaw.trim().toLowerCase();
    if (!media) continue;
    const params = parseParams(paramParts);
    const q = params.q === undefined ? 1 : Number(params.q);
    if (!(q > 0)) continue;
    let transferSyntax = params['transfer-syntax'];
    if (media === '*/*' || media === '*') {
      ranges.push({ multipart: null, type: null, transferSyntax, q });
    } else if (media === 'multipart/related' || media === 'multipart/*') {
      let type: string | null = null;
      if (params.type) {
        const [inner, ...innerParams] = splitOutsideQuotes(params.type, ';');
        type = canonicalMediaType(inner.trim().toLowerCase()) || null;
        transferSyntax ??= parseParams(innerParams)['transfer-syntax'];
      }
      ranges.push({ multipart: true, type, transferSyntax, q });
    } else {
      ranges.push({ multipart: false, type: canonicalMediaType(media), transferSyntax, q });
    }
  }
  // Stable sort: equal q keeps the client's order.
  return ranges.map((r, i) => ({ r, i })).sort((a, b) => b.r.q - a.r.q || a.i - b.i).map(({ r }) => r);
}

/** Does a requested (possibly wildcard) type admit `type`? */
export function typeMatches(requested: string | null, type: string): boolean {
  if (requested === null || requested === '*/*') return true;
  if (requested.endsWith('/*')) return type.startsWith(requested.slice(0, -1));
  return requested === canonicalMediaType(type);
}

/** 128 random bits: cannot plausibly occur in any payload, different for every response. */
export const newBoundary = () => randomBytes(16).toString('hex');

/**
 * Writes a multipart/related body to an HTTP response part by part, streaming each
 * part's body with backpressure (nothing is buffered whole). The body starts directly
 * with the first boundary line (several clients find the boundary that way).
 */
export class MultipartWriter {
  readonly boundary = newBoundary();
  private first = true;

  constructor(private readonly res: Response) {}

  /** `multipart/related; type="<type>"; boundary=<b>` (plus transfer-syntax when given). */
  contentType(type: string, transferSyntax?: string): string {
    return `multipart/related; type="${type}"${transferSyntax ? `; transfer-syntax=${transferSyntax}` : ''}; boundary=${this.boundary}`;
  }

  get aborted(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  async part(headers: Record<string, string | number | undefined>, body: Buffer | Uint8Array | Readable): Promise<void> {
    const lines = Object.entries(headers)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    await this.write(Buffer.from(`${this.first ? '' : '\r\n'}--${this.boundary}\r\n${lines}\r\n`, 'latin1'));
    this.first = false;
    if (Buffer.isBuffer(body) || body instanceof Uint8Array) {
      await this.write(body);
      return;
    }
    try {
      for await (const chunk of body) {
        if (this.aborted) break;
        await this.write(chunk as Buffer);
      }
    } finally {
      body.destroy();
    }
  }

  async end(): Promise<void> {
    if (this.aborted) return;
    await this.write(Buffer.from(`${this.first ? '' : '\r\n'}--${this.boundary}--\r\n`, 'latin1'));
    this.res.end();
  }

  private async write(chunk: Buffer | Uint8Array): Promise<void> {
    if (this.aborted) throw new ClientGoneError();
    if (!this.res.write(chunk)) {
      // Wait for drain, or give up when the client goes away.
      await Promise.race([once(this.res, 'drain'), once(this.res, 'close')]);
      if (this.res.destroyed) throw new ClientGoneError();
    }
  }
}

/** The client closed the connection mid-response: stop quietly. */
export class ClientGoneError extends Error {
  constructor() {
    super('client closed the connection');
  }
}
