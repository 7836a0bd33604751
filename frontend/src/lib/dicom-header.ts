/**
 * Reads the few attributes the submit page shows and uses (patient, study, accession)
 * from the start of a DICOM Part-10 file, in the browser, without a library.
 *
 * Only for display and for tying the order to the images (StudyInstanceUID): the
 * server validates every file itself. Anything unexpected simply yields less
 * (or null); this never throws.
 */

export interface DicomHeader {
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  accessionNumber?: string;
  patientName?: string;
  patientId?: string;
  studyDate?: string;
  studyDescription?: string;
  modality?: string;
}

/** Enough for the attributes up to (0020,000E) in practically every file. */
const READ_BYTES = 256 * 1024;

const WANTED: Record<number, keyof DicomHeader> = {
  0x00080020: 'studyDate',
  0x00080050: 'accessionNumber',
  0x00080060: 'modality',
  0x00081030: 'studyDescription',
  0x00100010: 'patientName',
  0x00100020: 'patientId',
  0x0020000d: 'studyInstanceUid',
  0x0020000e: 'seriesInstanceUid',
};
const LAST_WANTED = 0x0020000e;
const SPECIFIC_CHARACTER_SET = 0x00080005;

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);
const UNDEFINED = 0xffffffff;
const ITEM = 0xfffee000;
const ITEM_END = 0xfffee00d;
const SEQUENCE_END = 0xfffee0dd;

class OutOfData extends Error {}

class Reader {
  constructor(
    readonly view: DataView,
    public pos: number,
  ) {}
  need(n: number) {
    if (this.pos + n > this.view.byteLength) throw new OutOfData();
  }
  u16() {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32() {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  tag() {
    const group = this.u16();
    const element = this.u16();
    return ((group << 16) | element) >>> 0;
  }
  vr() {
    this.need(2);
    const vr = String.fromCharCode(this.view.getUint8(this.pos), this.view.getUint8(this.pos + 1));
    this.pos += 2;
    return vr;
  }
  skip(n: number) {
    this.need(n);
    this.pos += n;
  }
}

interface Element {
  tag: number;
  vr: string | null;
  offset: number;
  length: number;
}

/** Reads one element header; skips undefined-length contents (sequences, encapsulated data). */
function readElement(r: Reader, explicit: boolean): Element {
  const tag = r.tag();
  if (tag === ITEM || tag === ITEM_END || tag === SEQUENCE_END) {
    return { tag, vr: null, offset: r.pos + 4, length: r.u32() };
  }
  let vr: string | null = null;
  let length: number;
  if (explicit) {
    vr = r.vr();
    if (LONG_VRS.has(vr)) {
      r.skip(2);
      length = r.u32();
    } else {
      length = r.u16();
    }
  } else {
    length = r.u32();
  }
  const offset = r.pos;
  if (length === UNDEFINED) {
    // A sequence (or UN holding one, which is then implicit VR inside) or encapsulated pixel data.
    skipUndefinedSequence(r, explicit && vr !== 'UN');
    return { tag, vr, offset, length: 0 };
  }
  return { tag, vr, offset, length };
}

function skipUndefinedSequence(r: Reader, explicit: boolean) {
  for (;;) {
    const tag = r.tag();
    const length = r.u32();
    if (tag === SEQUENCE_END) return;
    if (tag !== ITEM) throw new OutOfData(); // not a sequence we understand
    if (length !== UNDEFINED) {
      r.skip(length);
      continue;
    }
    for (;;) {
      const el = readElement(r, explicit);
      if (el.tag === ITEM_END) break;
      r.skip(el.length);
    }
  }
}

function text(bytes: Uint8Array, utf8: boolean): string {
  const decoded = new TextDecoder(utf8 ? 'utf-8' : 'windows-1252').decode(bytes);
  // Trailing padding (space / NUL), and only the first of multiple values.
  return decoded.split('\\')[0].replace(/[\0\s]+$/, '').trim();
}

/** Parses a Part-10 file's first bytes. null when it is not Part-10 (no "DICM" at 128). */
export function parseDicomHeader(buffer: ArrayBuffer): DicomHeader | null {
  const view = new DataView(buffer);
  if (view.byteLength < 132) return null;
  const magic = String.fromCharCode(view.getUint8(128), view.getUint8(129), view.getUint8(130), view.getUint8(131));
  if (magic !== 'DICM') return null;

  const out: DicomHeader = {};
  const r = new Reader(view, 132);
  let transferSyntax = '';
  let utf8 = false;
  try {
    // File meta information: always explicit VR little endian, group 0002.
    while (r.pos + 4 <= view.byteLength && view.getUint16(r.pos, true) === 0x0002) {
      const el = readElement(r, true);
      if (el.tag === 0x00020010) transferSyntax = text(new Uint8Array(buffer, el.offset, el.length), false);
      r.skip(el.length);
    }
    if (transferSyntax === '1.2.840.10008.1.2.2' || transferSyntax === '1.2.840.10008.1.2.1.99') {
      return out; // big endian (retired) or deflated: leave it to the server
    }
    const explicit = transferSyntax !== '1.2.840.10008.1.2';
    while (r.pos < view.byteLength) {
      const el = readElement(r, explicit);
      if (el.tag > LAST_WANTED) break;
      r.need(el.length);
      if (el.tag === SPECIFIC_CHARACTER_SET) {
        utf8 = /ISO_IR 192/.test(text(new Uint8Array(buffer, el.offset, el.length), false));
      }
      const key = WANTED[el.tag];
      if (key && el.length > 0) {
        const value = text(new Uint8Array(buffer, el.offset, el.length), utf8);
        if (value) out[key] = value;
      }
      r.skip(el.length);
    }
  } catch {
    // Out of data or an odd encoding: keep what was read.
  }
  return out;
}

/** The header of a File (reads only its first 256 KB). */
export async function readDicomHeader(file: Blob): Promise<DicomHeader | null> {
  try {
    return parseDicomHeader(await file.slice(0, READ_BYTES).arrayBuffer());
  } catch {
    return null;
  }
}
