import dicomParser from 'dicom-parser';
import { describe, expect, it } from 'vitest';
import { IMPLEMENTATION_CLASS_UID, part10Header } from './part10.js';

describe('part10Header', () => {
  it('is a preamble, DICM and an even-length explicit-VR file meta group that parsers read back', () => {
    const header = part10Header({
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      sopInstanceUid: '1.2.3.4.5', // odd length: NUL-padded
      transferSyntaxUid: '1.2.840.10008.1.2.4.90',
      sourceAeTitle: 'CT1', // odd length: space-padded
    });
    expect(header.subarray(0, 128).every((b) => b === 0)).toBe(true);
    expect(header.toString('latin1', 128, 132)).toBe('DICM');
    expect(header.length % 2).toBe(0);
    expect(header.readUInt32LE(140)).toBe(header.length - 144); // (0002,0000) group length

    // A minimal data set after it makes a complete file.
    const dataset = Buffer.from([0x08, 0x00, 0x18, 0x00, 0x55, 0x49, 0x0a, 0x00, ...Buffer.from('1.2.3.4.5\0')]);
    const ds = dicomParser.parseDicom(new Uint8Array(Buffer.concat([header, dataset])));
    expect(ds.string('x00020002')).toBe('1.2.840.10008.5.1.4.1.1.2');
    expect(ds.string('x00020003')).toBe('1.2.3.4.5');
    expect(ds.string('x00020010')).toBe('1.2.840.10008.1.2.4.90');
    expect(ds.string('x00020012')).toBe(IMPLEMENTATION_CLASS_UID);
    expect(ds.string('x00020016')).toBe('CT1');
    expect(ds.string('x00080018')).toBe('1.2.3.4.5');
    expect(Array.from(ds.byteArray.subarray(ds.elements.x00020001.dataOffset, ds.elements.x00020001.dataOffset + 2))).toEqual([0, 1]);
  });

  it('leaves out SourceApplicationEntityTitle when there is none', () => {
    const header = part10Header({ sopClassUid: '1.2', sopInstanceUid: '1.3', transferSyntaxUid: '1.2.840.10008.1.2.1' });
    const dataset = Buffer.from([0x08, 0x00, 0x18, 0x00, 0x55, 0x49, 0x04, 0x00, ...Buffer.from('1.3\0')]);
    const ds = dicomParser.parseDicom(new Uint8Array(Buffer.concat([header, dataset])));
    expect(ds.string('x00020003')).toBe('1.3');
    expect(ds.elements.x00020016).toBeUndefined();
  });
});
