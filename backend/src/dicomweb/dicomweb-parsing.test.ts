import { describe, expect, it } from 'vitest';
import { rewriteBulkData, withoutEmptyValue } from './dicom-json.js';
import { negotiateFrames } from './dicomweb.service.js';
import { parseFrameList } from './frames.js';
import { parseAccept } from './media.js';
import { likePattern, normalizeTime, parseQidoQuery, QidoQueryError } from './qido-query.js';

const J2K = '1.2.840.10008.1.2.4.90';
const EXPLICIT = '1.2.840.10008.1.2.1';

describe('Accept parsing', () => {
  it('reads type and transfer-syntax quoted, unquoted, or inside the quoted type (Orthanc)', () => {
    expect(parseAccept('multipart/related; type="application/octet-stream"; transfer-syntax=*')).toEqual([
      { multipart: true, type: 'application/octet-stream', transferSyntax: '*', q: 1 },
    ]);
    expect(parseAccept('multipart/related; type=application/octet-stream; transfer-syntax=*')[0]).toMatchObject({ type: 'application/octet-stream', transferSyntax: '*' });
    expect(parseAccept('multipart/related; type="image/jp2; transfer-syntax=1.2.840.10008.1.2.4.90"')[0]).toMatchObject({ type: 'image/jp2', transferSyntax: J2K });
    expect(parseAccept('multipart/related; type="image/x-dicom-rle"')[0].type).toBe('image/dicom-rle');
  });
  it('orders by q and drops q=0; no header accepts anything', () => {
    const r = parseAccept('application/json;q=0.5, application/dicom+json, text/html;q=0');
    expect(r.map((x) => x.type)).toEqual(['application/dicom+json', 'application/json']);
    expect(parseAccept(undefined)).toEqual([{ multipart: null, type: null, q: 1 }]);
  });
});

describe('frame negotiation (no transcoding)', () => {
  it('answers as stored for transfer-syntax=* and names the syntax', () => {
    expect(negotiateFrames('multipart/related; type="application/octet-stream"; transfer-syntax=*', J2K, 2)).toEqual({ multipart: true, type: 'application/octet-stream', transferSyntax: J2K });
    expect(negotiateFrames(undefined, J2K, 1)).toEqual({ multipart: true, type: 'image/jp2', transferSyntax: J2K });
    expect(negotiateFrames('multipart/related; type="image/jp2"', J2K, 1).type).toBe('image/jp2');
  });
  it('serves native frames as Explicit VR Little Endian, also when Implicit is stored', () => {
    expect(negotiateFrames('multipart/related; type="application/octet-stream"', '1.2.840.10008.1.2', 1)).toEqual({ multipart: true, type: 'application/octet-stream', transferSyntax: EXPLICIT });
  });
  it('refuses what needs transcoding with 406, and single-part bodies for several frames', () => {
    expect(() => negotiateFrames(`multipart/related; type="application/octet-stream"; transfer-syntax=${EXPLICIT}`, J2K, 1)).toThrow(/does not transcode/);
    expect(() => negotiateFrames('multipart/related; type="image/jpeg"', J2K, 1)).toThrow(/406|transcode/);
    expect(() => negotiateFrames('application/octet-stream', EXPLICIT, 2)).toThrow();
    expect(negotiateFrames('application/octet-stream', EXPLICIT, 1).multipart).toBe(false);
  });
  it('parses frame lists', () => {
    expect(parseFrameList('1,3, 2')).toEqual([1, 3, 2]);
    expect(() => parseFrameList('0')).toThrow(/from 1/);
    expect(() => parseFrameList('1,,2')).toThrow();
  });
});

describe('QIDO query parsing', () => {
  const parse = (qs: string, level: 'study' | 'series' | 'instance' = 'study') => parseQidoQuery(new URLSearchParams(qs), level);
  it('takes keywords and tags, lists, ranges, paging and includefield', () => {
    const q = parse('00100020=A1&PatientName=DOE*&StudyDate=20240101-&ModalitiesInStudy=CT,MR&StudyInstanceUID=1.2\\1.3&limit=10&offset=5&includefield=StudyDescription,00080080&includefield=all&fuzzymatching=true');
    expect(q.filters).toEqual([
      { tag: '00100020', kind: 'string', value: 'A1', wildcard: false },
      { tag: '00100010', kind: 'pn', value: 'DOE*', wildcard: true },
      { tag: '00080020', kind: 'date', from: '20240101', to: undefined },
      { tag: '00080061', kind: 'modalities', values: ['CT', 'MR'] },
      { tag: '0020000D', kind: 'uid', values: ['1.2', '1.3'] },
    ]);
    expect(q).toMatchObject({ limit: 10, offset: 5, includeAll: true });
    expect([...q.includeTags]).toEqual(expect.arrayContaining(['00081030', '00080080', '00100020']));
  });
  it('treats empty values and a lone * as universal matching', () => {
    expect(parse('PatientName=&AccessionNumber=*').filters).toEqual([]);
  });
  it('names unknown parameters and bad values', () => {
    expect(() => parse('foo=1&PatientID=2&bar=3')).toThrow(/foo, bar/);
    expect(() => parse('StudyDate=2024-01-01')).toThrow(QidoQueryError);
    expect(() => parse('StudyDate=20240201-20240101')).toThrow(/starts after/);
    expect(() => parse('limit=0')).toThrow(/limit/);
  });
  it('ignores (and reports) keys below the searched level', () => {
    expect(parse('SOPInstanceUID=1.2').ignored).toEqual(['SOPInstanceUID']);
    expect(parse('SOPInstanceUID=1.2', 'instance').filters).toHaveLength(1);
  });
  it('normalizes times and escapes LIKE patterns', () => {
    expect(normalizeTime('14', '0')).toBe('140000.000000');
    expect(normalizeTime('1430', '9')).toBe('143059.999999');
    expect(normalizeTime('143000.5', '0')).toBe('143000.500000');
    expect(likePattern('a_b%c*?\\')).toBe('a\\_b\\%c%_\\\\');
  });
});

describe('DICOM JSON', () => {
  it('rewrites bulk placeholders to absolute URLs carrying their position', () => {
    const out = rewriteBulkData(
      { '00281201': { vr: 'OW', BulkDataURI: 'bulk:00281201' }, '52009230': { vr: 'SQ', Value: [{ '00280008': { vr: 'OB', BulkDataURI: 'bulk:00280008' } }] } },
      'https://h/dicomweb/studies/1/series/2/instances/3',
    );
    expect(out['00281201'].BulkDataURI).toBe('https://h/dicomweb/studies/1/series/2/instances/3/bulk/00281201');
    expect((out['52009230'].Value![0] as Record<string, { BulkDataURI: string }>)['00280008'].BulkDataURI).toBe('https://h/dicomweb/studies/1/series/2/instances/3/bulk/52009230/0/00280008');
  });
  it('drops Value of empty attributes (PS3.18 F.2.5)', () => {
    expect(withoutEmptyValue({ vr: 'SH', Value: [''] })).toEqual({ vr: 'SH' });
    expect(withoutEmptyValue({ vr: 'PN', Value: [{ Alphabetic: '' }] })).toEqual({ vr: 'PN' });
    expect(withoutEmptyValue({ vr: 'CS', Value: ['A', ''] })).toEqual({ vr: 'CS', Value: ['A', ''] });
  });
});
