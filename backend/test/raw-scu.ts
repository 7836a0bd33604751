import net from 'node:net';

/**
 * A deliberately minimal DICOM Upper Layer client (PS3.8) for tests that real SCUs
 * cannot do: send a data set's bytes exactly as they are in a malformed file (dcmtk
 * refuses to load those), stop in the middle of a data set, or abort.
 */

export interface ProposedContext {
  id: number;
  abstractSyntax: string;
  transferSyntaxes: string[];
}

export type AssociateResult =
  | { accepted: true; contexts: Map<number, { result: number; transferSyntax: string }>; maxPdu: number }
  | { accepted: false; result: number; source: number; reason: number };

export interface StoreResult {
  status: number;
  errorComment?: string;
}

const APPLICATION_CONTEXT = '1.2.840.10008.3.1.1.1';

export class RawScu {
  private buffer = Buffer.alloc(0);
  private waiters: Array<{ resolve: (pdu: Buffer) => void; reject: (err: Error) => void }> = [];
  private readonly pdus: Buffer[] = [];
  private error: Error | undefined;
  private messageId = 0;
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 6 && this.buffer.length >= 6 + this.buffer.readUInt32BE(2)) {
        const length = 6 + this.buffer.readUInt32BE(2);
        this.deliver(this.buffer.subarray(0, length));
        this.buffer = this.buffer.subarray(length);
      }
    });
    const fail = (err: Error) => {
      this.error ??= err;
      for (const w of this.waiters.splice(0)) w.reject(this.error);
    };
    socket.on('error', fail);
    this.closed = new Promise((resolve) => socket.on('close', () => (fail(new Error('connection closed')), resolve())));
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawScu> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host, () => resolve(new RawScu(socket)));
      socket.once('error', reject);
    });
  }

  private deliver(pdu: Buffer) {
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(pdu);
    else this.pdus.push(pdu);
  }

  private nextPdu(timeoutMs = 10_000): Promise<Buffer> {
    const queued = this.pdus.shift();
    if (queued) return Promise.resolve(queued);
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a PDU')), timeoutMs);
      this.waiters.push({
        resolve: (p) => (clearTimeout(timer), resolve(p)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
    });
  }

  async associate(callingAe: string, calledAe: string, contexts: ProposedContext[], maxPdu = 16384): Promise<AssociateResult> {
    const items: Buffer[] = [item(0x10, ascii(APPLICATION_CONTEXT))];
    for (const pc of contexts) {
      const sub = [item(0x30, ascii(pc.abstractSyntax)), ...pc.transferSyntaxes.map((ts) => item(0x40, ascii(ts)))];
      items.push(item(0x20, Buffer.concat([Buffer.from([pc.id, 0, 0, 0]), ...sub])));
    }
    const maxLength = Buffer.alloc(4);
    maxLength.writeUInt32BE(maxPdu);
    items.push(item(0x50, Buffer.concat([item(0x51, maxLength), item(0x52, ascii('1.2.3.4.5.6.7'))])));
    const head = Buffer.alloc(68);
    head.writeUInt16BE(1, 0);
    head.write(calledAe.padEnd(16), 4, 'latin1');
    head.write(callingAe.padEnd(16), 20, 'latin1');
    this.socket.write(pdu(0x01, Buffer.concat([head, ...items])));

    const answer = await this.nextPdu();
    if (answer[0] === 0x03) return { accepted: false, result: answer[7], source: answer[8], reason: answer[9] };
    if (answer[0] !== 0x02) throw new Error(`unexpected PDU type ${answer[0]} in answer to A-ASSOCIATE-RQ`);
    const accepted = new Map<number, { result: number; transferSyntax: string }>();
    let peerMaxPdu = 0;
    for (const [type, value] of items_(answer.subarray(6 + 68))) {
      if (type === 0x21) {
        const ts = [...items_(value.subarray(4))].find(([t]) => t === 0x40);
        accepted.set(value[0], { result: value[2], transferSyntax: ts ? ts[1].toString('latin1') : '' });
      } else if (type === 0x50) {
        for (const [t, v] of items_(value)) if (t === 0x51) peerMaxPdu = v.readUInt32BE(0);
      }
    }
    return { accepted: true, contexts: accepted, maxPdu: peerMaxPdu };
  }

  /** Sends C-STORE-RQ and the data set in fragments of `fragment` bytes; `stopAfter` sends only that many bytes. */
  sendStore(pcId: number, sopClassUid: string, sopInstanceUid: string, dataset: Buffer, opts: { fragment?: number; stopAfter?: number } = {}): void {
    const command = commandSet([
      [0x0002, uiValue(sopClassUid)],
      [0x0100, us(0x0001)],
      [0x0110, us(++this.messageId)],
      [0x0700, us(0)],
      [0x0800, us(0x0000)],
      [0x1000, uiValue(sopInstanceUid)],
    ]);
    this.socket.write(pdata(pcId, command, true, true));
    const fragment = opts.fragment ?? 16_000;
    const end = Math.min(dataset.length, opts.stopAfter ?? dataset.length);
    for (let offset = 0; offset < end; offset += fragment) {
      const last = offset + fragment >= dataset.length;
      this.socket.write(pdata(pcId, dataset.subarray(offset, Math.min(offset + fragment, end)), false, last));
    }
  }

  async store(pcId: number, sopClassUid: string, sopInstanceUid: string, dataset: Buffer): Promise<StoreResult> {
    this.sendStore(pcId, sopClassUid, sopInstanceUid, dataset);
    return this.readResponse();
  }

  async echo(pcId: number): Promise<StoreResult> {
    const command = commandSet([
      [0x0002, uiValue('1.2.840.10008.1.1')],
      [0x0100, us(0x0030)],
      [0x0110, us(++this.messageId)],
      [0x0800, us(0x0101)],
    ]);
    this.socket.write(pdata(pcId, command, true, true));
    return this.readResponse();
  }

  private async readResponse(): Promise<StoreResult> {
    let command = Buffer.alloc(0);
    for (;;) {
      const p = await this.nextPdu();
      if (p[0] !== 0x04) throw new Error(`unexpected PDU type ${p[0]} while waiting for a DIMSE response`);
      let offset = 6;
      let last = false;
      while (offset < p.length) {
        const length = p.readUInt32BE(offset);
        const control = p[offset + 5];
        command = Buffer.concat([command, p.subarray(offset + 6, offset + 4 + length)]);
        last = (control & 0x02) !== 0;
        offset += 4 + length;
      }
      if (last) break;
    }
    const elements = parseCommand(command);
    const status = elements.get(0x0900)?.readUInt16LE(0);
    if (status === undefined) throw new Error('DIMSE response without Status');
    const comment = elements.get(0x0902)?.toString('latin1').replace(/[\0 ]+$/, '');
    return { status, errorComment: comment };
  }

  async release(): Promise<void> {
    this.socket.write(pdu(0x05, Buffer.alloc(4)));
    const answer = await this.nextPdu();
    if (answer[0] !== 0x06) throw new Error(`unexpected PDU type ${answer[0]} in answer to A-RELEASE-RQ`);
    this.socket.end();
    await this.closed;
  }

  abort(): void {
    this.socket.end(pdu(0x07, Buffer.from([0, 0, 0, 0])));
  }

  destroy(): void {
    this.socket.destroy();
  }
}

function ascii(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

function item(type: number, value: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head[0] = type;
  head.writeUInt16BE(value.length, 2);
  return Buffer.concat([head, value]);
}

function* items_(buf: Buffer): Generator<[number, Buffer]> {
  let offset = 0;
  while (offset + 4 <= buf.length) {
    const length = buf.readUInt16BE(offset + 2);
    yield [buf[offset], buf.subarray(offset + 4, offset + 4 + length)];
    offset += 4 + length;
  }
}

function pdu(type: number, body: Buffer): Buffer {
  const head = Buffer.alloc(6);
  head[0] = type;
  head.writeUInt32BE(body.length, 2);
  return Buffer.concat([head, body]);
}

function pdata(pcId: number, value: Buffer, isCommand: boolean, last: boolean): Buffer {
  const pdv = Buffer.alloc(6);
  pdv.writeUInt32BE(value.length + 2, 0);
  pdv[4] = pcId;
  pdv[5] = (isCommand ? 0x01 : 0) | (last ? 0x02 : 0);
  return pdu(0x04, Buffer.concat([pdv, value]));
}

function us(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

function uiValue(uid: string): Buffer {
  const b = ascii(uid);
  return b.length % 2 ? Buffer.concat([b, Buffer.from([0])]) : b;
}

/** Command set, Implicit VR Little Endian, with its group length first. */
function commandSet(elements: Array<[number, Buffer]>): Buffer {
  const encode = (el: number, value: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt16LE(0x0000, 0);
    head.writeUInt16LE(el, 2);
    head.writeUInt32LE(value.length, 4);
    return Buffer.concat([head, value]);
  };
  const body = Buffer.concat(elements.map(([el, v]) => encode(el, v)));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(body.length);
  return Buffer.concat([encode(0x0000, length), body]);
}

function parseCommand(buf: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let offset = 0;
  while (offset + 8 <= buf.length) {
    const el = buf.readUInt16LE(offset + 2);
    const length = buf.readUInt32LE(offset + 4);
    out.set(el, buf.subarray(offset + 8, offset + 8 + length));
    offset += 8 + length;
  }
  return out;
}

/** The data set of a file as a sender would put it on the wire: after the file meta, if any. */
export function datasetOf(file: Buffer): { dataset: Buffer; hasMeta: boolean; transferSyntax?: string; sopClassUid?: string; sopInstanceUid?: string } {
  if (file.length < 132 || file.toString('latin1', 128, 132) !== 'DICM') return { dataset: file, hasMeta: false };
  let offset = 132;
  const meta = new Map<number, string>();
  while (offset + 8 <= file.length && file.readUInt16LE(offset) === 0x0002) {
    const el = file.readUInt16LE(offset + 2);
    const vr = file.toString('latin1', offset + 4, offset + 6);
    const long = ['OB', 'OW', 'UN', 'SQ', 'UT', 'UC', 'UR'].includes(vr);
    const length = long ? file.readUInt32LE(offset + 8) : file.readUInt16LE(offset + 6);
    const start = offset + (long ? 12 : 8);
    meta.set(el, file.toString('latin1', start, start + length).replace(/[\0 ]+$/, ''));
    offset = start + length;
  }
  const value = (el: number) => meta.get(el) || undefined;
  return { dataset: file.subarray(offset), hasMeta: true, transferSyntax: value(0x0010), sopClassUid: value(0x0002), sopInstanceUid: value(0x0003) };
}
