/**
 * STOW-RS from the browser: one DICOM file per request, so that every file gets
 * its own progress and its own answer (PS3.18 10.5: ReferencedSOPSequence /
 * FailedSOPSequence, see shared/API.md).
 */
import { ApiError, apiErrorFrom, apiUpload, errorMessage, UNREACHABLE_MESSAGE } from './api';

export const STOW_PATH = '/dicomweb/studies';

/** What became of one file. `error` is worth retrying; `rejected` is the server's verdict on the file. */
export type StowOutcome =
  | { status: 'stored' | 'duplicate'; studyInstanceUid?: string; sopInstanceUid?: string; warning?: string }
  | { status: 'rejected'; message: string; sopInstanceUid?: string }
  | { status: 'error'; message: string };

/** Failure reasons (0008,1197) and warning reasons (0008,1196) in words, for answers without a TextValue. */
const REASONS: Record<number, string> = {
  0xa700: 'The server is out of storage resources',
  0xa900: 'The data set does not match its SOP class',
  0xc000: 'The server cannot understand this file',
  0xc122: 'Transfer syntax not supported',
  0x0110: 'Processing failure',
  0x0111: 'Duplicate SOP instance',
  0x0122: 'SOP class not supported',
  0x0124: 'Not authorised to store this instance',
  0xb000: 'Stored with coerced data elements',
  0xb006: 'Stored with some data elements discarded',
  0xb007: 'Already stored',
};

const WARNING_ALREADY_STORED = 0xb007;
const FAILURE_OUT_OF_RESOURCES = 0xa700;

function hex(code: number): string {
  return `0x${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

export function reasonText(code: number): string {
  return `${REASONS[code] ?? 'Refused'} (${hex(code)})`;
}

/** Random multipart boundary (crypto.getRandomValues also works on plain-http hospital intranets). */
export function randomBoundary(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return `teleread-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** multipart/related body with the one file as its only part, and its Content-Type header. */
export function stowBody(file: Blob, boundary = randomBoundary()): { body: Blob; contentType: string } {
  const body = new Blob([`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`, file, `\r\n--${boundary}--\r\n`]);
  return { body, contentType: `multipart/related; type="application/dicom"; boundary=${boundary}` };
}

// ---------------------------------------------------------------- DICOM JSON

type DicomJson = Record<string, { vr?: string; Value?: unknown[] } | undefined>;

function items(ds: DicomJson | undefined, tag: string): DicomJson[] {
  const v = ds?.[tag]?.Value;
  return Array.isArray(v) ? v.filter((x): x is DicomJson => Boolean(x) && typeof x === 'object') : [];
}

function first(ds: DicomJson | undefined, tag: string): unknown {
  const v = ds?.[tag]?.Value;
  return Array.isArray(v) ? v[0] : undefined;
}

function str(ds: DicomJson | undefined, tag: string): string | undefined {
  const v = first(ds, tag);
  return typeof v === 'string' && v ? v : undefined;
}

function num(ds: DicomJson | undefined, tag: string): number | undefined {
  const v = first(ds, tag);
  return typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** Study Instance UID out of a RetrieveURL ".../studies/<uid>[/series/...]". */
export function studyUidFromUrl(url: string | undefined): string | undefined {
  const m = url ? /\/studies\/([0-9.]+)/.exec(url) : null;
  return m?.[1];
}

/** The answer to a one-file STOW-RS request → what became of the file. */
export function interpretStow(status: number, text: string): StowOutcome {
  let ds: DicomJson | undefined;
  try {
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) ds = parsed as DicomJson;
  } catch {
    ds = undefined;
  }

  const isStowAnswer = ds && ('00081199' in ds || '00081198' in ds || '0040A160' in ds || '00081190' in ds);
  if ((status === 200 || status === 202 || status === 409) && isStowAnswer) {
    const failed = items(ds, '00081198')[0];
    if (failed) {
      const code = num(failed, '00081197');
      const why = str(failed, '0040A160') ?? (code !== undefined ? reasonText(code) : 'Refused by the server');
      const sopInstanceUid = str(failed, '00081155');
      // Out of resources is the server's trouble, not the file's: worth another try later.
      if (code === FAILURE_OUT_OF_RESOURCES) return { status: 'error', message: why };
      return { status: 'rejected', message: why, sopInstanceUid };
    }
    const stored = items(ds, '00081199')[0];
    if (stored) {
      const warning = num(stored, '00081196');
      const studyInstanceUid = studyUidFromUrl(str(stored, '00081190') ?? str(ds, '00081190'));
      const sopInstanceUid = str(stored, '00081155');
      if (warning === WARNING_ALREADY_STORED) return { status: 'duplicate', studyInstanceUid, sopInstanceUid };
      return { status: 'stored', studyInstanceUid, sopInstanceUid, warning: warning !== undefined ? reasonText(warning) : undefined };
    }
    // The body was cut short before the part was complete (connection dropped mid-file).
    const cutOff = str(ds, '0040A160');
    return { status: 'error', message: cutOff ?? 'The server answered without a result for this file' };
  }

  const err = apiErrorFrom(status, text);
  if (status === 401) return { status: 'error', message: 'Your session has expired. Sign in again, then use Retry.' };
  if (err.unreachable) return { status: 'error', message: UNREACHABLE_MESSAGE };
  if (status === 408 || status === 429 || status >= 500 || status === 0) {
    return { status: 'error', message: status === 503 ? 'The server is busy or restarting; try again in a moment' : err.message };
  }
  if (status >= 200 && status < 300) return { status: 'error', message: 'Unexpected answer from the server' };
  // 400, 403, 413, 415…: the server refuses this request as sent; retrying will not help.
  return { status: 'rejected', message: err.message };
}

/** Sends one file with STOW-RS; never throws except when cancelled (AbortError). */
export async function stowFile(
  file: Blob,
  onProgress?: (loaded: number, total: number) => void,
  signal?: AbortSignal,
): Promise<StowOutcome> {
  const { body, contentType } = stowBody(file);
  try {
    const res = await apiUpload(STOW_PATH, body, { contentType, accept: 'application/dicom+json', onProgress, signal });
    return interpretStow(res.status, res.text);
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    if (err instanceof ApiError && err.unreachable) return { status: 'error', message: UNREACHABLE_MESSAGE };
    return { status: 'error', message: errorMessage(err) };
  }
}
