/** Transfer syntaxes the frames and bulk data routes know (PS3.5 Table A-1, PS3.18 Table 8.7.3-5). */

export const IMPLICIT_LE = '1.2.840.10008.1.2';
export const EXPLICIT_LE = '1.2.840.10008.1.2.1';
export const DEFLATED_LE = '1.2.840.10008.1.2.1.99';
export const EXPLICIT_BE = '1.2.840.10008.1.2.2';

const NATIVE = new Set([IMPLICIT_LE, EXPLICIT_LE, DEFLATED_LE, EXPLICIT_BE]);

/** Native (uncompressed) pixel data: frames are byte ranges of PixelData. */
export const isNative = (ts: string) => NATIVE.has(ts);

/**
 * The media type of a frame's bitstream in an encapsulated transfer syntax
 * (PS3.18 Table 8.7.3-5), or application/octet-stream for syntaxes without one.
 */
const MEDIA_TYPES: Record<string, string> = {
  '1.2.840.10008.1.2.4.50': 'image/jpeg',
  '1.2.840.10008.1.2.4.51': 'image/jpeg',
  '1.2.840.10008.1.2.4.57': 'image/jpeg',
  '1.2.840.10008.1.2.4.70': 'image/jpeg',
  '1.2.840.10008.1.2.4.80': 'image/jls',
  '1.2.840.10008.1.2.4.81': 'image/jls',
  '1.2.840.10008.1.2.4.90': 'image/jp2',
  '1.2.840.10008.1.2.4.91': 'image/jp2',
  '1.2.840.10008.1.2.4.92': 'image/jpx',
  '1.2.840.10008.1.2.4.93': 'image/jpx',
  '1.2.840.10008.1.2.4.201': 'image/jphc',
  '1.2.840.10008.1.2.4.202': 'image/jphc',
  '1.2.840.10008.1.2.4.203': 'image/jphc',
  '1.2.840.10008.1.2.5': 'image/dicom-rle',
};

/** Spellings clients still send (older PS3.18 editions, dcm4che, dicomweb-client) → the current one. */
const ALIASES: Record<string, string> = {
  'image/x-dicom-rle': 'image/dicom-rle',
  'image/x-jls': 'image/jls',
  'image/jll': 'image/jpeg',
  'image/jhc': 'image/jphc',
};

export const canonicalMediaType = (type: string) => ALIASES[type] ?? type;

/** The natural media type of a stored frame (native frames are application/octet-stream). */
export function frameMediaType(ts: string): string {
  return isNative(ts) ? 'application/octet-stream' : (MEDIA_TYPES[ts] ?? 'application/octet-stream');
}

const NAMES: Record<string, string> = {
  [IMPLICIT_LE]: 'Implicit VR Little Endian',
  [EXPLICIT_LE]: 'Explicit VR Little Endian',
  [DEFLATED_LE]: 'Deflated Explicit VR Little Endian',
  [EXPLICIT_BE]: 'Explicit VR Big Endian',
  '1.2.840.10008.1.2.4.50': 'JPEG Baseline',
  '1.2.840.10008.1.2.4.51': 'JPEG Extended',
  '1.2.840.10008.1.2.4.57': 'JPEG Lossless',
  '1.2.840.10008.1.2.4.70': 'JPEG Lossless SV1',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS Lossless',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS Near-Lossless',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 Lossless',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000',
  '1.2.840.10008.1.2.5': 'RLE Lossless',
};

export const transferSyntaxName = (ts: string) => (NAMES[ts] ? `${NAMES[ts]} (${ts})` : ts);
