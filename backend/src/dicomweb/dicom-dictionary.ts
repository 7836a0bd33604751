import dcmjs from 'dcmjs';

/** One attribute of the DICOM data dictionary (PS3.6), as QIDO query keys and includefield name it. */
export interface AttributeInfo {
  /** 8-digit upper-case hex, as in DICOM JSON ('00100010'). */
  tag: string;
  keyword: string;
  vr: string;
}

const byKeyword = new Map<string, AttributeInfo>();
const byTag = new Map<string, AttributeInfo>();

for (const entry of Object.values(dcmjs.data.DicomMetaDictionary.nameMap)) {
  const m = /^\(([0-9A-F]{4}),([0-9A-F]{4})\)$/i.exec(entry.tag);
  if (!m || !entry.name) continue;
  const info: AttributeInfo = { tag: (m[1] + m[2]).toUpperCase(), keyword: entry.name, vr: entry.vr.split('|')[0] ?? 'UN' };
  byKeyword.set(info.keyword, info);
  if (!byTag.has(info.tag)) byTag.set(info.tag, info);
}

/**
 * A query key or includefield value: a keyword ('PatientID') or a tag ('00100020',
 * case-insensitive). Private and otherwise unknown tags are accepted as tags with VR UN;
 * unknown keywords are not (undefined).
 */
export function resolveAttribute(name: string): AttributeInfo | undefined {
  const keyword = byKeyword.get(name);
  if (keyword) return keyword;
  if (/^[0-9A-Fa-f]{8}$/.test(name)) {
    const tag = name.toUpperCase();
    return byTag.get(tag) ?? { tag, keyword: tag, vr: 'UN' };
  }
  return undefined;
}

/** Attribute by tag (for VRs of attributes the platform emits). */
export function attributeByTag(tag: string): AttributeInfo | undefined {
  return byTag.get(tag.toUpperCase());
}

/** Tags of the attributes the platform names in code, by keyword (throws on a typo at load time). */
export function tagOf(keyword: string): string {
  const info = byKeyword.get(keyword);
  if (!info) throw new Error(`unknown DICOM keyword ${keyword}`);
  return info.tag;
}
