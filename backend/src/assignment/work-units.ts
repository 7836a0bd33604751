/**
 * Reading effort per modality relative to a plain radiograph (1). Auto-assignment balances
 * readers on the sum of these, so a reader with two MRs is as busy as one with six X-rays.
 */
const UNITS: Readonly<Record<string, number>> = {
  CR: 1,
  DX: 1,
  XA: 1,
  RF: 1,
  US: 1.5,
  MG: 2,
  CT: 2.5,
  MR: 3,
  NM: 3,
  PT: 3,
};

/** What a study of other modalities (OT, unknown) counts for. */
const OTHER = 1;
/** A multi-modality study (PET/CT) is more work than either part, but not the full sum of a stack. */
const MAX_UNITS = 6;
/** Objects that are not images to read (reports, presentation states, key images). */
const IGNORED = new Set(['SR', 'PR', 'KO', 'DOC', 'REG', 'SEG', 'RTSTRUCT']);

/** Work units of a study from its modalities: the sum over distinct image modalities, capped. */
export function studyWorkUnits(modalities: readonly string[]): number {
  const image = [...new Set(modalities.map((m) => m.trim().toUpperCase()))].filter((m) => m && !IGNORED.has(m));
  if (image.length === 0) return OTHER;
  return Math.min(MAX_UNITS, image.reduce((sum, m) => sum + (UNITS[m] ?? OTHER), 0));
}
