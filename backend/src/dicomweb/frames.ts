import { inflateRawSync } from 'node:zlib';
import dicomParser from 'dicom-parser';
import { DEFLATED_LE, EXPLICIT_BE, isNative } from './transfer-syntax.js';

/** A byte range [start, end) of the stored file. */
export type ByteRange = readonly [start: number, end: number];

/**
 * Where each frame of one stored instance lives in its Part-10 file, computed once
 * from the file (dicom-parser byte offsets) and cached, so a frame request reads
 * only that frame's bytes afterwards.
 */
export interface FrameIndex {
  transferSyntaxUid: string;
  numberOfFrames: number;
  /** Encapsulated: each frame's fragments (bitstream = their concatenation). */
  fragments?: ByteRange[][];
  /** Native: the frame layout inside PixelData. */
  native?: {
    pixelOffset: number;
    pixelLength: number;
    /** Bits per frame (rows × columns × samples × bits allocated). */
    frameBits: number;
    bitsAllocated: number;
  };
  /** Offsets refer to an inflated copy (Deflated LE), not to the file: frames need the whole file. */
  offsetsInInflated: boolean;
}

export class FrameError extends Error {}

/** Parses a Part-10 file (a deflated data set is inflated). Throws FrameError on unreadable files. */
export function parsePart10(file: Uint8Array): dicomParser.DataSet {
  const inflater = (arr: Uint8Array, position: number) => {
    const inflated = inflateRawSync(arr.subarray(position));
    const out = new Uint8Array(position + inflated.length);
    out.set(arr.subarray(0, position));
    out.set(inflated, position);
    return out;
  };
  try {
    return dicomParser.parseDicom(file, { inflater: inflater as unknown as dicomParser.ParseDicomOptions['inflater'] });
  } catch (err) {
    const detail = typeof err === 'string' ? err : ((err as { exception?: string })?.exception ?? (err as Error)?.message ?? String(err));
    throw new FrameError(`stored file cannot be parsed: ${detail}`);
  }
}

/**
 * The value of one (possibly nested) element as little-endian bytes. `path` is
 * [tag] for a top-level element or [seqTag, itemIndex, tag, ...] inside sequences.
 */
export function readElementValue(file: Uint8Array, path: (string | number)[]): { bytes: Buffer; vr?: string } | null {
  let ds = parsePart10(file);
  const bigEndian = ds.string('x00020010')?.trim() === EXPLICIT_BE;
  for (let i = 0; i < path.length; i++) {
    const el = ds.elements[`x${String(path[i]).toLowerCase()}`];
    if (!el) return null;
    if (i === path.length - 1) {
      if (el.encapsulatedPixelData || el.items) return null;
      let bytes = Buffer.from(ds.byteArray.buffer, ds.byteArray.byteOffset + el.dataOffset, el.length);
      if (bigEndian) {
        bytes = Buffer.from(bytes);
        const width = el.vr === 'OW' || el.vr === 'US' || el.vr === 'SS' ? 2 : el.vr === 'OF' || el.vr === 'OL' || el.vr === 'UL' || el.vr === 'SL' || el.vr === 'FL' ? 4 : el.vr === 'OD' || el.vr === 'OV' || el.vr === 'FD' ? 8 : 1;
        if (width > 1 && bytes.length % width === 0) (width === 2 ? bytes.swap16() : width === 4 ? bytes.swap32() : bytes.swap64());
      }
      return { bytes, vr: el.vr };
    }
    const item = el.items?.[Number(path[++i])];
    if (!item?.dataSet) return null;
    ds = item.dataSet;
  }
  return null;
}

/** Builds the frame index of a stored instance from its whole file. */
export function indexFrames(file: Uint8Array, transferSyntaxUid: string): FrameIndex {
  const ds = parsePart10(file);
  const ts = ds.string('x00020010')?.trim() || transferSyntaxUid;
  const pixel = ds.elements.x7fe00010;
  if (!pixel) throw new FrameError('the instance has no pixel data');
  const nf = parseInt(ds.string('x00280008') ?? '1', 10);
  const numberOfFrames = Number.isFinite(nf) && nf > 0 ? nf : 1;
  const base = { transferSyntaxUid: ts, numberOfFrames, offsetsInInflated: ts === DEFLATED_LE };

  if (isNative(ts) && !pixel.encapsulatedPixelData) {
    const rows = ds.uint16('x00280010') ?? 0;
    const columns = ds.uint16('x00280011') ?? 0;
    const samples = ds.uint16('x00280002') ?? 1;
    const bitsAllocated = ds.uint16('x00280100') ?? 16;
    const frameBits = rows * columns * samples * bitsAllocated;
    if (!frameBits) throw new FrameError('Rows, Columns or BitsAllocated is missing');
    return { ...base, native: { pixelOffset: pixel.dataOffset, pixelLength: pixel.length, frameBits, bitsAllocated } };
  }
  if (!pixel.encapsulatedPixelData || !pixel.fragments?.length) throw new FrameError('encapsulated pixel data has no fragments');

  const fragments = pixel.fragments;
  const range = (f: dicomParser.Fragment): ByteRange => [f.position, f.position + f.length];
  // Frame start offsets (relative to the first fragment's item tag): Extended Offset Table,
  // else Basic Offset Table, else one fragment per frame, else JPEG end-of-image scan.
  let offsets: number[] | undefined;
  const eot = ds.elements.x7fe00001;
  if (eot && eot.length >= numberOfFrames * 8) {
    offsets = [];
    const view = new DataView(ds.byteArray.buffer, ds.byteArray.byteOffset + eot.dataOffset, eot.length);
    for (let i = 0; i < numberOfFrames; i++) offsets.push(Number(view.getBigUint64(i * 8, true)));
  } else if (pixel.basicOffsetTable?.length) {
    offsets = pixel.basicOffsetTable;
  }
  let frames: ByteRange[][];
  if (offsets) {
    frames = offsets.map((start, i) => {
      const end = i + 1 < offsets!.length ? offsets![i + 1] : Infinity;
      return fragments.filter((f) => f.offset >= start && f.offset < end).map(range);
    });
  } else if (numberOfFrames === 1) {
    frames = [fragments.map(range)];
  } else if (fragments.length === numberOfFrames) {
    frames = fragments.map((f) => [range(f)]);
  } else {
    // Empty offset table, more fragments than frames: find frame ends by JPEG EOI markers.
    const bot = dicomParser.createJPEGBasicOffsetTable(ds, pixel);
    if (bot.length !== numberOfFrames) {
      throw new FrameError(`cannot locate ${numberOfFrames} frames in ${fragments.length} fragments without an offset table`);
    }
    frames = bot.map((start, i) => {
      const end = i + 1 < bot.length ? bot[i + 1] : Infinity;
      return fragments.filter((f) => f.offset >= start && f.offset < end).map(range);
    });
  }
  if (frames.length < numberOfFrames || frames.slice(0, numberOfFrames).some((f) => f.length === 0)) {
    throw new FrameError(`the offset table does not describe ${numberOfFrames} frames`);
  }
  return { ...base, fragments: frames.slice(0, numberOfFrames) };
}

/** The byte ranges to read for frame `n` (1-based) of a native instance, and how to cut the frame out of them. */
export function nativeFrameSpan(index: FrameIndex, n: number): { range: ByteRange; bitShift: number; frameBytes: number } {
  const nat = index.native!;
  const startBit = (n - 1) * nat.frameBits;
  const frameBytes = Math.ceil(nat.frameBits / 8);
  const start = nat.pixelOffset + Math.floor(startBit / 8);
  const bitShift = startBit % 8;
  const end = Math.min(nat.pixelOffset + nat.pixelLength, start + frameBytes + (bitShift ? 1 : 0));
  if (end - start < frameBytes) throw new FrameError(`frame ${n} runs past the end of PixelData`);
  return { range: [start, end], bitShift, frameBytes };
}

/**
 * Native frame bytes as Explicit VR Little Endian: big-endian words swapped,
 * 1-bit frames that do not start on a byte boundary re-aligned.
 */
export function finishNativeFrame(index: FrameIndex, raw: Buffer, span: { bitShift: number; frameBytes: number }): Buffer {
  const nat = index.native!;
  let out = raw;
  if (span.bitShift) {
    // 1-bit data: bit 0 of each byte is the first pixel (PS3.5 D.2); shift down by bitShift.
    out = Buffer.alloc(span.frameBytes);
    for (let i = 0; i < span.frameBytes; i++) {
      out[i] = ((raw[i] >> span.bitShift) | ((raw[i + 1] ?? 0) << (8 - span.bitShift))) & 0xff;
    }
    const tailBits = nat.frameBits % 8;
    if (tailBits) out[span.frameBytes - 1] &= (1 << tailBits) - 1;
  } else if (raw.length > span.frameBytes) {
    out = raw.subarray(0, span.frameBytes);
  }
  if (index.transferSyntaxUid === EXPLICIT_BE && nat.bitsAllocated > 8) {
    out = Buffer.from(out);
    if (nat.bitsAllocated === 16) out.swap16();
    else if (nat.bitsAllocated === 32) out.swap32();
    else if (nat.bitsAllocated === 64) out.swap64();
  }
  return out;
}

/** Parses a frame list like "1,3,5" (1-based). Throws FrameError on anything else. */
export function parseFrameList(list: string): number[] {
  const items = list.split(',').map((s) => s.trim());
  if (!items.length || items.length > 10_000) throw new FrameError('frame list must name 1 to 10000 frames');
  return items.map((s) => {
    if (!/^[0-9]{1,9}$/.test(s) || Number(s) < 1) throw new FrameError(`"${s}" is not a frame number (frames are numbered from 1)`);
    return Number(s);
  });
}
