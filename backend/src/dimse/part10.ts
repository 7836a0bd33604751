/** Teleread's Implementation Class UID (UUID-derived, PS3.5 B.2) and version, sent in A-ASSOCIATE-AC and file meta. */
export const IMPLEMENTATION_CLASS_UID = '2.25.312579594037545082435702467509087727930';
export const IMPLEMENTATION_VERSION_NAME = 'TELEREAD_1';

export interface FileMeta {
  /** AffectedSOPClassUID of the C-STORE request. */
  sopClassUid: string;
  /** AffectedSOPInstanceUID of the C-STORE request. */
  sopInstanceUid: string;
  /** The transfer syntax accepted for the presentation context the data set came on. */
  transferSyntaxUid: string;
  /** Calling AE title of the association (SourceApplicationEntityTitle). */
  sourceAeTitle?: string;
}

/**
 * The 128-byte preamble, "DICM" and the File Meta Information group (PS3.10 7.1),
 * always Explicit VR Little Endian. A C-STORE data set arrives without one; this
 * header plus the received bytes is a Part-10 file, byte for byte what the sender
 * encoded in the negotiated transfer syntax (nothing is re-encoded).
 */
export function part10Header(meta: FileMeta): Buffer {
  const elements = [
    element(0x0001, 'OB', Buffer.from([0x00, 0x01])),
    element(0x0002, 'UI', uid(meta.sopClassUid)),
    element(0x0003, 'UI', uid(meta.sopInstanceUid)),
    element(0x0010, 'UI', uid(meta.transferSyntaxUid)),
    element(0x0012, 'UI', uid(IMPLEMENTATION_CLASS_UID)),
    element(0x0013, 'SH', text(IMPLEMENTATION_VERSION_NAME)),
    ...(meta.sourceAeTitle ? [element(0x0016, 'AE', text(meta.sourceAeTitle))] : []),
  ];
  const body = Buffer.concat(elements);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(body.length);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), element(0x0000, 'UL', groupLength), body]);
}

/** UI values are padded to even length with NUL (PS3.5 6.2). */
function uid(value: string): Buffer {
  const b = Buffer.from(value, 'latin1');
  return b.length % 2 ? Buffer.concat([b, Buffer.from([0])]) : b;
}

/** SH/AE values are padded to even length with a space. */
function text(value: string): Buffer {
  const b = Buffer.from(value, 'latin1');
  return b.length % 2 ? Buffer.concat([b, Buffer.from(' ')]) : b;
}

/** One group-0002 element in Explicit VR Little Endian. */
function element(elementNumber: number, vr: string, value: Buffer): Buffer {
  const longForm = vr === 'OB';
  const head = Buffer.alloc(longForm ? 12 : 8);
  head.writeUInt16LE(0x0002, 0);
  head.writeUInt16LE(elementNumber, 2);
  head.write(vr, 4, 'latin1');
  if (longForm) head.writeUInt32LE(value.length, 8);
  else {
    if (value.length > 0xffff) throw new RangeError(`file meta value too long for ${vr}`);
    head.writeUInt16LE(value.length, 6);
  }
  return Buffer.concat([head, value]);
}
