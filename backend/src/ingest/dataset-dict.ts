import { TextDecoder } from 'node:util';
import dcmjs from 'dcmjs';
import type dicomParser from 'dicom-parser';

/**
 * dcmjs's data dictionary of a data set (`{tag: {vr, Value}}`, what DicomMessage.readFile
 * returns as `dict`), built from the elements dicom-parser has already found instead of
 * reading the bytes a second time through dcmjs's stream (most of the cost of parsing an
 * instance). Values are read and formatted by dcmjs's own value representations, and the
 * loop mirrors its DicomMessage._readTag, so the result is the same; null when the data set
 * holds anything this does not cover (implicit or big-endian syntax, UN or unusual VRs,
 * undefined-length values, character sets other than the default, Latin-1 and UTF-8): the
 * caller then asks dcmjs. A test compares both on every sample file.
 */
export type DcmjsDict = Record<string, { vr: string; Value?: unknown[] }>;

type Vr = {
  type: string;
  maxLength?: number | null;
  noMultiple?: boolean;
  isBinary(): boolean;
  read(stream: Stream, length: number, syntax: string, options?: object): { value: unknown } | undefined;
  dropPadByte(values: string[]): string[];
  addValueAccessors(values: unknown): unknown;
};
const { ValueRepresentation } = dcmjs.data as unknown as {
  ValueRepresentation: { createByTypeString(type: string): Vr; hasValueAccessors(type: string): boolean };
};

const EXPLICIT_LE = '1.2.840.10008.1.2.1';
/** Syntaxes dcmjs does not read as explicit VR little endian. */
const OTHER_SYNTAXES = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.2', '1.2.840.10008.1.2.1.99']);
/** VRs dcmjs has a reader for, except UN (re-read with the dictionary's VR: left to dcmjs). */
const VRS = new Set(['AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FL', 'FD', 'IS', 'LO', 'LT', 'OB', 'OD', 'OF', 'OW', 'PN', 'SH', 'SL', 'SQ', 'SS', 'ST', 'TM', 'UC', 'UI', 'UL', 'UR', 'US', 'UT', 'UV']);
/** As in DicomMessage._readTag. */
const SINGLE_VRS = ['SQ', 'OF', 'OW', 'OB', 'UN', 'LT'];
/** SpecificCharacterSet → TextDecoder label, the subset of dcmjs's mapping handled here. */
const CHARSETS: Record<string, string> = { '': 'iso-8859-1', 'iso-ir-6': 'iso-8859-1', 'iso-ir-100': 'latin1', 'iso-ir-192': 'utf-8' };

class Unsupported extends Error {}

/** The part of dcmjs's ReadBufferStream that its value readers use, over one buffer. */
class Stream {
  offset = 0;
  readonly isLittleEndian = true;
  readonly noCopy = false;

  constructor(
    readonly buf: Buffer,
    public decoder: TextDecoder,
  ) {}

  get size(): number {
    return this.buf.length;
  }
  increment(n: number): void {
    this.offset += n;
  }
  peekUint8(n: number): number {
    return this.buf[this.offset + n];
  }
  readAsciiString(length: number): string {
    const end = Math.min(this.offset + length, this.buf.length);
    const s = this.buf.toString('latin1', this.offset, end);
    this.offset = end;
    return s;
  }
  readEncodedString(length: number): string {
    const n = Math.min(length, this.buf.length - this.offset);
    const s = this.decoder.decode(this.buf.subarray(this.offset, this.offset + n));
    this.offset += n;
    return s;
  }
  getBuffer(start: number, end: number): ArrayBuffer {
    return this.buf.buffer.slice(this.buf.byteOffset + start, this.buf.byteOffset + end) as ArrayBuffer;
  }
  readUint8(): number {
    return this.buf.readUInt8((this.offset += 1) - 1);
  }
  readUint16(): number {
    return this.buf.readUInt16LE((this.offset += 2) - 2);
  }
  readInt16(): number {
    return this.buf.readInt16LE((this.offset += 2) - 2);
  }
  readUint32(): number {
    return this.buf.readUInt32LE((this.offset += 4) - 4);
  }
  readInt32(): number {
    return this.buf.readInt32LE((this.offset += 4) - 4);
  }
  readFloat(): number {
    return this.buf.readFloatLE((this.offset += 4) - 4);
  }
  readDouble(): number {
    return this.buf.readDoubleLE((this.offset += 8) - 8);
  }
  readBigUint64(): bigint {
    return this.buf.readBigUInt64LE((this.offset += 8) - 8);
  }
}

/** Decoders by label (decode() without streaming keeps no state between calls). */
const decoders = new Map<string, TextDecoder>();
const decoder = (label: string) => decoders.get(label) ?? decoders.set(label, new TextDecoder(label)).get(label)!;
/** 'x0020000d' → '0020000D' (the same few hundred tags again and again). */
const tags = new Map<string, string>();
const tagOf = (key: string) => tags.get(key) ?? (tags.size > 10_000 ? key.slice(1).toUpperCase() : tags.set(key, key.slice(1).toUpperCase()).get(key)!);

/**
 * The dictionary of the top-level data set, up to `end` (where PixelData starts, which dcmjs
 * is told to stop at), or null (see above).
 */
export function datasetDict(ds: dicomParser.DataSet, file: Buffer, end: number, transferSyntaxUid: string): DcmjsDict | null {
  // dcmjs refuses a file meta without its group length; deflated and the other syntaxes differ.
  if (OTHER_SYNTAXES.has(transferSyntaxUid) || !ds.elements.x00020000) return null;
  try {
    return read(ds, new Stream(file.subarray(0, end), decoder('latin1')), true);
  } catch (err) {
    if (err instanceof Unsupported) return null;
    throw err;
  }
}

function read(ds: dicomParser.DataSet, stream: Stream, top: boolean): DcmjsDict {
  const dict: DcmjsDict = {};
  for (const key in ds.elements) {
    const el = ds.elements[key];
    const tag = tagOf(key);
    if (top && tag.startsWith('0002')) continue; // file meta: not part of the data set
    if (tag.startsWith('FFFE')) continue; // item delimiters (dicom-parser lists them in undefined-length items)
    if (el.dataOffset + el.length > stream.size) continue; // PixelData and what follows it
    const type = el.vr;
    if (!type || !VRS.has(type)) throw new Unsupported();
    if (type === 'SQ') {
      // dcmjs reads each item from a new stream: with the default character set, and leaves
      // items without content out.
      const items = (el.items ?? []).filter((item) => Object.keys(item.dataSet?.elements ?? {}).length > 0);
      dict[tag] = { vr: 'SQ', Value: items.map((item) => read(item.dataSet!, new Stream(stream.buf, decoder('latin1')), false)) };
      continue;
    }
    if (el.hadUndefinedLength) throw new Unsupported();
    const vr = ValueRepresentation.createByTypeString(type);
    const length = el.length;
    stream.offset = el.dataOffset;
    let values: unknown[] = [];
    // DicomMessage._readTag, value part.
    if (vr.isBinary() && length > vr.maxLength! && !vr.noMultiple) {
      const times = length / vr.maxLength!;
      let i = 0;
      while (i++ < times) values.push(vr.read(stream, vr.maxLength!, EXPLICIT_LE)!.value);
    } else {
      const value = (vr.read(stream, length, EXPLICIT_LE) ?? { value: undefined }).value;
      if (!vr.isBinary() && SINGLE_VRS.indexOf(vr.type) === -1) {
        values = value as unknown[];
        if (typeof value === 'string') values = vr.dropPadByte(value.split('\\'));
      } else if (vr.type === 'OW' || vr.type === 'OB') {
        values = value as unknown[];
      } else if (Array.isArray(value)) {
        values = value;
      } else {
        values.push(value);
      }
    }
    if (tag === '00080005') {
      // DicomMessage._read: decode what follows with the data set's character set, which is
      // then recorded as UTF-8 (the values are decoded text from here on).
      if (values.length > 1) throw new Unsupported();
      if (values.length > 0) {
        const coding = String(values[0]).replace(/[_ ]/g, '-').toLowerCase();
        if (!(coding in CHARSETS)) throw new Unsupported();
        stream.decoder = decoder(CHARSETS[coding]);
      }
      values = ['ISO_IR 192'];
    }
    // dcmjs's tag proxy adds value accessors (PN: toJSON) when Value is set.
    dict[tag] = { vr: vr.type, Value: (ValueRepresentation.hasValueAccessors(vr.type) ? vr.addValueAccessors(values) : values) as unknown[] };
  }
  return dict;
}
