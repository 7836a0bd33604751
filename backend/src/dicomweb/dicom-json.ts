/** DICOM JSON model (PS3.18 F.2) helpers. */

export interface JsonElement {
  vr: string;
  Value?: unknown[];
  InlineBinary?: string;
  BulkDataURI?: string;
}
export type JsonDataset = Record<string, JsonElement>;

/** An element with zero or more values; null/undefined/'' values make an empty element (`{vr}`). */
export function element(vr: string, ...values: unknown[]): JsonElement {
  const kept = values.filter((v) => v !== null && v !== undefined && v !== '');
  return kept.length ? { vr, Value: kept } : { vr };
}

const isEmptyValue = (v: unknown) =>
  v === null || v === undefined || v === '' || (typeof v === 'object' && !Array.isArray(v) && Object.values(v as object).every((x) => x === '' || x === undefined));

/** PS3.18 F.2.5: an attribute without a value has no Value (dcmjs gives `[""]` for empty strings). */
export function withoutEmptyValue(el: JsonElement): JsonElement {
  if (!el.Value || el.vr === 'SQ' || !el.Value.every(isEmptyValue)) return el;
  const { Value: _drop, ...rest } = el;
  return rest;
}

/** A PN element from a plain string (`Family^Given`), or a stored PN element. */
export function personName(stored: JsonElement | undefined, fallback: string | null | undefined): JsonElement {
  if (stored && stored.vr === 'PN') return withoutEmptyValue(stored);
  return fallback ? { vr: 'PN', Value: [{ Alphabetic: fallback }] } : { vr: 'PN' };
}

/** Sorts a data set by tag, as DICOM JSON producers conventionally do. */
export function sortByTag(ds: JsonDataset): JsonDataset {
  const out: JsonDataset = {};
  // The default sort compares UTF-16 code units: for tags, the same order as `<`.
  for (const tag of Object.keys(ds).sort()) out[tag] = ds[tag];
  return out;
}

/** The elements of `ds` whose tags are listed (tags upper-case). */
export function pick(ds: JsonDataset | null | undefined, tags: Iterable<string>): JsonDataset {
  const out: JsonDataset = {};
  if (!ds) return out;
  for (const tag of tags) if (ds[tag]) out[tag] = withoutEmptyValue(ds[tag]);
  return out;
}

/**
 * Rewrites stored BulkDataURI placeholders (`bulk:<tag>`) into absolute URLs of the
 * instance's bulk data route. The URL carries the element's position (sequence tag /
 * item index / tag ...), so a placeholder inside a sequence item resolves to that item.
 * Empty values lose their Value on the way (see withoutEmptyValue).
 */
export function rewriteBulkData(ds: JsonDataset, instanceUrl: string, path: string[] = []): JsonDataset {
  const out: JsonDataset = {};
  for (const [tag, el] of Object.entries(ds)) {
    if (el.BulkDataURI !== undefined && /^bulk:/.test(el.BulkDataURI)) {
      out[tag] = { vr: el.vr, BulkDataURI: `${instanceUrl}/bulk/${[...path, tag].join('/')}` };
    } else if (el.vr === 'SQ' && Array.isArray(el.Value)) {
      out[tag] = {
        vr: 'SQ',
        Value: el.Value.map((item, i) =>
          item && typeof item === 'object' ? rewriteBulkData(item as JsonDataset, instanceUrl, [...path, tag, String(i)]) : item,
        ),
      };
    } else {
      out[tag] = withoutEmptyValue(el);
    }
  }
  return out;
}
