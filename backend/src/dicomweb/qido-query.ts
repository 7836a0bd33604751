import { resolveAttribute } from './dicom-dictionary.js';

/** The level a QIDO-RS search returns. */
export type QidoLevel = 'study' | 'series' | 'instance';

type MatchKind = 'uid' | 'list' | 'modalities' | 'string' | 'ci-string' | 'pn' | 'date' | 'time' | 'int';

/** Attributes the platform matches on (PS3.18 Table 10.6.1-5 plus a few useful ones), by tag. */
export const MATCHABLE: Record<string, { keyword: string; level: QidoLevel; kind: MatchKind }> = {
  '00100020': { keyword: 'PatientID', level: 'study', kind: 'string' },
  '00100010': { keyword: 'PatientName', level: 'study', kind: 'pn' },
  '00100030': { keyword: 'PatientBirthDate', level: 'study', kind: 'date' },
  '00100040': { keyword: 'PatientSex', level: 'study', kind: 'string' },
  '00080020': { keyword: 'StudyDate', level: 'study', kind: 'date' },
  '00080030': { keyword: 'StudyTime', level: 'study', kind: 'time' },
  '00080050': { keyword: 'AccessionNumber', level: 'study', kind: 'string' },
  '00080061': { keyword: 'ModalitiesInStudy', level: 'study', kind: 'modalities' },
  '0020000D': { keyword: 'StudyInstanceUID', level: 'study', kind: 'uid' },
  '00080090': { keyword: 'ReferringPhysicianName', level: 'study', kind: 'pn' },
  '00081030': { keyword: 'StudyDescription', level: 'study', kind: 'ci-string' },
  '00200010': { keyword: 'StudyID', level: 'study', kind: 'string' },
  '00080080': { keyword: 'InstitutionName', level: 'study', kind: 'ci-string' },
  '00080060': { keyword: 'Modality', level: 'series', kind: 'list' },
  '0020000E': { keyword: 'SeriesInstanceUID', level: 'series', kind: 'uid' },
  '00200011': { keyword: 'SeriesNumber', level: 'series', kind: 'int' },
  '0008103E': { keyword: 'SeriesDescription', level: 'series', kind: 'ci-string' },
  '00180015': { keyword: 'BodyPartExamined', level: 'series', kind: 'string' },
  '00080018': { keyword: 'SOPInstanceUID', level: 'instance', kind: 'uid' },
  '00080016': { keyword: 'SOPClassUID', level: 'instance', kind: 'uid' },
  '00200013': { keyword: 'InstanceNumber', level: 'instance', kind: 'int' },
};

export type Filter =
  | { tag: string; kind: 'uid' | 'list' | 'modalities'; values: string[] }
  | { tag: string; kind: 'string' | 'ci-string' | 'pn'; value: string; wildcard: boolean }
  | { tag: string; kind: 'date' | 'time'; from?: string; to?: string }
  | { tag: string; kind: 'int'; value: number };

export interface QidoQuery {
  level: QidoLevel;
  filters: Filter[];
  /** The client's limit, if any (the service caps it). */
  limit?: number;
  offset: number;
  includeAll: boolean;
  /** Tags to return beyond the defaults (includefield values and every query key). */
  includeTags: Set<string>;
  /** Known attributes given as query keys that this level cannot match on (ignored, with a Warning). */
  ignored: string[];
}

export class QidoQueryError extends Error {}

const LEVEL_RANK: Record<QidoLevel, number> = { study: 0, series: 1, instance: 2 };
/** Query parameters of PS3.18 8.3.4 besides attribute keys (lower-case). */
const CONTROL_PARAMS = new Set(['limit', 'offset', 'includefield', 'fuzzymatching', 'accept', 'charset']);
const DATE = /^[0-9]{8}$/;
const TIME = /^([01][0-9]|2[0-3])([0-5][0-9]([0-5][0-9](\.[0-9]{1,6})?)?)?$/;

/** TM value → 'HHMMSS.ffffff' (13 chars), missing digits filled with `pad`, for range comparison. */
export function normalizeTime(tm: string, pad: '0' | '9'): string {
  const [hms, frac = ''] = tm.replace(/:/g, '').split('.');
  const fullHms = (hms + (pad === '0' ? '000000' : '595959').slice(hms.length)).slice(0, 6);
  return `${fullHms}.${(frac + pad.repeat(6)).slice(0, 6)}`;
}

function splitList(value: string): string[] {
  return value
    .split(/[,\\]/)
    .map((v) => v.trim())
    .filter(Boolean);
}

function rangeFilter(tag: string, kind: 'date' | 'time', keyword: string, value: string): Filter {
  const valid = kind === 'date' ? DATE : TIME;
  const example = kind === 'date' ? 'YYYYMMDD, YYYYMMDD-YYYYMMDD, -YYYYMMDD or YYYYMMDD-' : 'HHMMSS[.ffffff] (or HH, HHMM), or a range a-b, -b, a-';
  const parts = value.split('-');
  const bad = () => new QidoQueryError(`${keyword}="${value}" is not a valid ${kind === 'date' ? 'date' : 'time'} or range: use ${example}`);
  if (parts.length > 2) throw bad();
  const [from, to] = parts.length === 1 ? [parts[0], parts[0]] : parts;
  if ((from && !valid.test(from)) || (to && !valid.test(to)) || (!from && !to)) throw bad();
  if (kind === 'time') {
    return { tag, kind, from: from ? normalizeTime(from, '0') : undefined, to: to ? normalizeTime(to, '9') : undefined };
  }
  if (from && to && from > to) throw new QidoQueryError(`${keyword}="${value}": the range starts after it ends`);
  return { tag, kind, from: from || undefined, to: to || undefined };
}

/**
 * Parses a QIDO-RS query string (PS3.18 8.3.4): attribute keys as keywords or tags,
 * limit/offset, includefield (repeatable, comma lists, `all`), fuzzymatching
 * (accepted, ignored). Unknown parameter names are a 400 naming them.
 */
export function parseQidoQuery(search: URLSearchParams, level: QidoLevel): QidoQuery {
  const q: QidoQuery = { level, filters: [], offset: 0, includeAll: false, includeTags: new Set(), ignored: [] };
  const unknown: string[] = [];
  const seen = new Map<string, string[]>();

  for (const [rawKey, value] of search) {
    const key = rawKey.trim();
    const lower = key.toLowerCase();
    if (CONTROL_PARAMS.has(lower)) {
      if (lower === 'limit' || lower === 'offset') {
        if (!/^[0-9]{1,9}$/.test(value.trim())) throw new QidoQueryError(`${lower} must be a non-negative integer, got "${value}"`);
        const n = Number(value.trim());
        if (lower === 'limit') {
          if (n < 1) throw new QidoQueryError('limit must be at least 1');
          q.limit = n;
        } else q.offset = n;
      } else if (lower === 'includefield') {
        for (const name of value.split(',').map((s) => s.trim()).filter(Boolean)) {
          if (name.toLowerCase() === 'all') {
            q.includeAll = true;
            continue;
          }
          const attr = resolveAttribute(name);
          if (!attr) unknown.push(`includefield=${name}`);
          else q.includeTags.add(attr.tag);
        }
      }
      // fuzzymatching: accepted and ignored (PS3.18 allows it). accept/charset: handled by the caller.
      continue;
    }
    // Sequence paths (00081110.00081150): every component must be an attribute; matching on them is not supported.
    const path = key.split('.');
    const attrs = path.map(resolveAttribute);
    if (attrs.some((a) => !a)) {
      unknown.push(key);
      continue;
    }
    if (path.length > 1) {
      q.ignored.push(key);
      continue;
    }
    const attr = attrs[0]!;
    q.includeTags.add(attr.tag);
    const def = MATCHABLE[attr.tag];
    if (!def || LEVEL_RANK[def.level] > LEVEL_RANK[level]) {
      if (value.trim() !== '') q.ignored.push(attr.keyword);
      continue;
    }
    const values = seen.get(attr.tag) ?? [];
    values.push(value);
    seen.set(attr.tag, values);
  }
  if (unknown.length) {
    throw new QidoQueryError(
      `Unknown query parameter${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')} (use DICOM keywords or tags, limit, offset, includefield, fuzzymatching)`,
    );
  }

  for (const [tag, values] of seen) {
    const def = MATCHABLE[tag];
    const nonEmpty = values.map((v) => v.trim()).filter((v) => v !== '');
    if (!nonEmpty.length) continue; // empty value: return the attribute, match everything
    if (def.kind === 'uid' || def.kind === 'list' || def.kind === 'modalities') {
      const list = nonEmpty.flatMap(splitList);
      if (list.length && !list.every((v) => v === '*')) q.filters.push({ tag, kind: def.kind, values: [...new Set(list)] });
      continue;
    }
    if (nonEmpty.length > 1) throw new QidoQueryError(`${def.keyword} is given more than once`);
    const value = nonEmpty[0];
    if (def.kind === 'date' || def.kind === 'time') {
      q.filters.push(rangeFilter(tag, def.kind, def.keyword, value));
    } else if (def.kind === 'int') {
      if (!/^[+-]?[0-9]{1,10}$/.test(value)) throw new QidoQueryError(`${def.keyword} must be an integer, got "${value}"`);
      q.filters.push({ tag, kind: 'int', value: Number(value) });
    } else {
      if (/^\*+$/.test(value)) continue; // universal match
      q.filters.push({ tag, kind: def.kind, value, wildcard: /[*?]/.test(value) });
    }
  }
  return q;
}

/** DICOM wildcard value (`*`, `?`) → SQL LIKE pattern (with `\` escapes). */
export function likePattern(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%').replace(/\?/g, '_');
}
