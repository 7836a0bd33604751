import dcmjs from 'dcmjs';
import dicomParser from 'dicom-parser';
import { datasetDict } from './dataset-dict.js';

// dcmjs warns on stderr for every odd VR it meets ("Invalid vr type xs"); our validation reports what matters.
dcmjs.log.setLevel('error');
dcmjs.log.getLogger('validation.dcmjs').setLevel('silent');

/** PS3.4 / PS3.18 failure reasons used in STOW-RS FailedSOPSequence and DIMSE C-STORE status. */
export const FailureReason = {
  /** Processing failure / cannot understand: malformed or truncated data. */
  CannotUnderstand: 0xc000,
  /** The data set does not match the SOP class (missing or inconsistent required attributes). */
  DataSetDoesNotMatchSopClass: 0xa900,
  /** Refused: out of resources (storage failed). */
  OutOfResources: 0xa700,
} as const;

/** An instance the platform will not store, with the precise reason (one per instance). */
export class DicomRejection extends Error {
  constructor(
    readonly reason: number,
    message: string,
    readonly sopInstanceUid?: string,
    readonly sopClassUid?: string,
  ) {
    super(message);
  }
}

export type DicomJson = Record<string, { vr: string; Value?: unknown[]; InlineBinary?: string; BulkDataURI?: string }>;

export interface ParsedInstance {
  transferSyntaxUid: string;
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  patient: { id: string; issuer: string | null; name: string | null; birthDate: string | null; sex: string | null };
  study: {
    accessionNumber: string | null;
    studyDate: string | null;
    studyTime: string | null;
    description: string | null;
    referringPhysician: string | null;
    institutionName: string | null;
  };
  series: { modality: string | null; seriesNumber: number | null; description: string | null; bodyPart: string | null };
  instanceNumber: number | null;
  numberOfFrames: number;
  rows: number | null;
  columns: number | null;
  /** DICOM JSON of the whole data set without pixel data; large binary values become BulkDataURI "bulk:<tag>". */
  json: DicomJson;
}

const UID = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;
const IS = /^\s*[+-]?[0-9]{1,12}\s*$/;
const DS = /^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$/;
const ENCAPSULATED = (ts: string) => !['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.1.99', '1.2.840.10008.1.2.2'].includes(ts);
/** Binary values up to this size stay inline in the metadata; larger ones are fetched as bulk data. */
const INLINE_BINARY_MAX = 1024;

const tagLabel = (tag: string) => `(${tag.slice(1, 5).toUpperCase()},${tag.slice(5, 9).toUpperCase()})`;

/**
 * Validates a DICOM Part-10 file and extracts what the index needs. Rejects, with a
 * precise reason, what a hospital archive meets in the wild: no Part-10 header, file
 * meta without a transfer syntax, truncation, invalid numeric strings, pixel data
 * shorter than its attributes declare, encapsulated pixel data cut off.
 */
export function parseInstance(file: Buffer): ParsedInstance {
  const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
  if (file.length < 132 || file.toString('latin1', 128, 132) !== 'DICM') {
    throw new DicomRejection(FailureReason.CannotUnderstand, 'Not a DICOM Part-10 file: the 128-byte preamble and "DICM" prefix are missing');
  }
  let ds: dicomParser.DataSet;
  try {
    ds = dicomParser.parseDicom(bytes);
  } catch (err) {
    const detail = typeof err === 'string' ? err : ((err as { exception?: string }).exception ?? (err as Error).message ?? String(err));
    if (/0002,0010/.test(detail)) {
      throw new DicomRejection(FailureReason.CannotUnderstand, 'File meta information lacks TransferSyntaxUID (0002,0010)');
    }
    if (/overrun|past end|end of buffer/i.test(detail)) {
      throw new DicomRejection(FailureReason.CannotUnderstand, `File is truncated: a data element runs past the end of the file (${detail.replace(/^dicomParser[.:]\w*: /, '')})`);
    }
    throw new DicomRejection(FailureReason.CannotUnderstand, `Malformed DICOM: ${detail}`);
  }

  const str = (tag: string) => {
    const v = ds.string(tag);
    return v === undefined || v === '' ? null : v;
  };
  const sopInstanceUid = str('x00080018');
  const sopClassUid = str('x00080016');
  const reject = (reason: number, message: string) => {
    throw new DicomRejection(reason, message, sopInstanceUid ?? undefined, sopClassUid ?? undefined);
  };
  const transferSyntaxUid = str('x00020010')!;
  const requiredUids: [string, string][] = [
    ['x00080016', 'SOPClassUID'],
    ['x00080018', 'SOPInstanceUID'],
    ['x0020000d', 'StudyInstanceUID'],
    ['x0020000e', 'SeriesInstanceUID'],
  ];
  for (const [tag, name] of requiredUids) {
    const value = str(tag);
    if (!value) reject(FailureReason.DataSetDoesNotMatchSopClass, `Required attribute ${name} ${tagLabel(tag)} is missing`);
    if (value!.length > 64 || !UID.test(value!)) reject(FailureReason.DataSetDoesNotMatchSopClass, `${name} ${tagLabel(tag)} "${value}" is not a valid UID`);
  }
  // Numeric strings must be numbers: a corrupt IS/DS (e.g. NumberOfFrames "1A") breaks every viewer.
  for (const [tag, el] of Object.entries(ds.elements)) {
    if ((el.vr === 'IS' || el.vr === 'DS') && el.length > 0) {
      const raw = ds.string(tag) ?? '';
      const pattern = el.vr === 'IS' ? IS : DS;
      for (const v of raw.split('\\')) {
        if (v.trim() !== '' && !pattern.test(v)) {
          reject(FailureReason.CannotUnderstand, `Element ${tagLabel(tag)} has VR ${el.vr} but holds "${v}", which is not a valid ${el.vr === 'IS' ? 'Integer' : 'Decimal'} String`);
        }
      }
    }
  }

  const metaSop = str('x00020003');
  if (metaSop && metaSop !== sopInstanceUid) {
    reject(FailureReason.DataSetDoesNotMatchSopClass, `MediaStorageSOPInstanceUID (0002,0003) ${metaSop} differs from SOPInstanceUID (0008,0018) ${sopInstanceUid}`);
  }

  const rows = ds.uint16('x00280010') ?? null;
  const columns = ds.uint16('x00280011') ?? null;
  const numberOfFrames = str('x00280008') ? parseInt(str('x00280008')!, 10) : 1;
  if (!(numberOfFrames >= 1)) reject(FailureReason.CannotUnderstand, `NumberOfFrames (0028,0008) must be a positive integer`);
  const pixel = ds.elements.x7fe00010;
  if (pixel) {
    if (!rows || !columns) reject(FailureReason.DataSetDoesNotMatchSopClass, 'PixelData is present but Rows (0028,0010) or Columns (0028,0011) is missing');
    if (ENCAPSULATED(transferSyntaxUid)) {
      const fragments = pixel.fragments ?? [];
      if (!pixel.encapsulatedPixelData || fragments.length === 0) {
        reject(FailureReason.CannotUnderstand, `Transfer syntax ${transferSyntaxUid} needs encapsulated PixelData, but it is native or empty`);
      }
      if (fragments.length < numberOfFrames) {
        reject(FailureReason.CannotUnderstand, `Encapsulated PixelData has ${fragments.length} fragments for ${numberOfFrames} frames`);
      }
      const last = fragments[fragments.length - 1];
      const end = last.position + last.length;
      const delimiter = end + 8 <= bytes.length && bytes[end] === 0xfe && bytes[end + 1] === 0xff && bytes[end + 2] === 0xdd && bytes[end + 3] === 0xe0;
      if (!delimiter) {
        reject(FailureReason.CannotUnderstand, 'Encapsulated PixelData (7FE0,0010) ends without its sequence delimiter: the frames are shorter than declared (file truncated)');
      }
    } else {
      const bitsAllocated = ds.uint16('x00280100') ?? 16;
      const samples = ds.uint16('x00280002') ?? 1;
      const expected = Math.ceil((rows! * columns! * samples * bitsAllocated * numberOfFrames) / 8);
      if (pixel.length < expected) {
        reject(
          FailureReason.CannotUnderstand,
          `PixelData (7FE0,0010) holds ${pixel.length} bytes but ${rows}×${columns}×${samples} samples × ${bitsAllocated} bits × ${numberOfFrames} frames need ${expected}`,
        );
      }
    }
  }

  const end = pixel ? pixelDataTagOffset(bytes, pixel.dataOffset) : file.length;
  const { json, text } = decodeText(file, end, pixel && end === file.length ? null : { ds, transferSyntaxUid });
  return {
    transferSyntaxUid,
    sopClassUid: sopClassUid!,
    sopInstanceUid: sopInstanceUid!,
    studyInstanceUid: str('x0020000d')!,
    seriesInstanceUid: str('x0020000e')!,
    patient: { id: str('x00100020') ?? '', issuer: str('x00100021'), name: text('00100010'), birthDate: str('x00100030'), sex: str('x00100040') },
    study: {
      accessionNumber: str('x00080050'),
      studyDate: str('x00080020'),
      studyTime: str('x00080030'),
      description: text('00081030'),
      referringPhysician: text('00080090'),
      institutionName: text('00080080'),
    },
    series: { modality: str('x00080060'), seriesNumber: intOrNull(str('x00200011')), description: text('0008103E'), bodyPart: str('x00180015') },
    instanceNumber: intOrNull(str('x00200013')),
    numberOfFrames,
    rows,
    columns,
    json,
  };
}

function intOrNull(v: string | null): number | null {
  const n = v === null ? NaN : parseInt(v, 10);
  return Number.isFinite(n) ? n : null;
}

/**
 * The DICOM JSON of the data set, and its text attributes decoded with the file's
 * SpecificCharacterSet (dcmjs does the character-set work dicom-parser leaves to us).
 */
/**
 * Where the top-level PixelData element starts (its tag), so the attributes before it
 * can be decoded without copying the pixels; the whole file when that is not certain.
 */
export function pixelDataTagOffset(bytes: Uint8Array, dataOffset: number): number {
  for (const header of [12, 8]) {
    const at = dataOffset - header; // explicit VR OB/OW: tag, VR, reserved, 4-byte length; implicit VR: tag, length
    if (at >= 132 && bytes[at] === 0xe0 && bytes[at + 1] === 0x7f && bytes[at + 2] === 0x10 && bytes[at + 3] === 0x00) return at;
  }
  return bytes.length;
}

function decodeText(
  file: Buffer,
  end: number,
  parsed: { ds: dicomParser.DataSet; transferSyntaxUid: string } | null,
): { json: DicomJson; text: (tag: string) => string | null } {
  // The elements dicom-parser found, formatted by dcmjs (see datasetDict); dcmjs reads the bytes
  // itself only for what that does not cover (`parsed` is null when PixelData's start is unsure).
  let dict: Record<string, { vr: string; Value?: unknown[] }> | null = parsed ? datasetDict(parsed.ds, file, end, parsed.transferSyntaxUid) : null;
  if (!dict) {
    // Only the bytes before PixelData: copying a whole multi-megabyte file here was most of dcmjs's cost.
    const ab = file.buffer.slice(file.byteOffset, file.byteOffset + end) as ArrayBuffer;
    dict = dcmjs.data.DicomMessage.readFile(ab, { untilTag: '7FE00010', includeUntilTagValue: false }).dict as Record<string, { vr: string; Value?: unknown[] }>;
  }
  const json = toDicomJson(dict);
  const text = (tag: string) => {
    const v = json[tag]?.Value?.[0];
    if (v === undefined || v === null || v === '') return null;
    if (typeof v === 'object') {
      // Person name: keep every representation (alphabetic=ideographic=phonetic), as DICOM writes it.
      const pn = v as { Alphabetic?: string; Ideographic?: string; Phonetic?: string };
      return [pn.Alphabetic ?? '', pn.Ideographic ?? '', pn.Phonetic ?? ''].join('=').replace(/=+$/, '') || null;
    }
    return String(v);
  };
  return { json, text };
}

/** dcmjs's dictionary → standard DICOM JSON: binary values inline (small) or as bulk data (large). */
export function toDicomJson(dict: Record<string, { vr: string; Value?: unknown[] }>): DicomJson {
  const out: DicomJson = {};
  for (const [tag, element] of Object.entries(dict)) {
    const { vr } = element;
    const values = element.Value ?? [];
    if (vr === 'SQ') {
      out[tag] = { vr, Value: values.map((item) => toDicomJson(item as Record<string, { vr: string; Value?: unknown[] }>)) };
    } else if (['OB', 'OW', 'OD', 'OF', 'OL', 'OV', 'UN'].includes(vr)) {
      const buffers = values.filter((v): v is ArrayBuffer => v instanceof ArrayBuffer);
      const size = buffers.reduce((n, b) => n + b.byteLength, 0);
      if (size === 0) out[tag] = { vr };
      else if (size <= INLINE_BINARY_MAX) out[tag] = { vr, InlineBinary: Buffer.concat(buffers.map((b) => Buffer.from(b))).toString('base64') };
      else out[tag] = { vr, BulkDataURI: `bulk:${tag}` };
    } else {
      out[tag] = values.length ? { vr, Value: values } : { vr };
    }
  }
  return out;
}
