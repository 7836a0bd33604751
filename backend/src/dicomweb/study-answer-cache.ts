/**
 * Rendered study-level QIDO answers (the default attributes as DICOM JSON text), by study id,
 * for the row version they were rendered from (DicomwebRepository.searchStudyVersions): a
 * study or patient row that changed has a new version and is rendered again, so an entry is
 * never served stale. Entries also age out, and beyond `capacity` the least recently used go.
 * Only what a caller may see reaches this cache's users (the page is scoped and audited first).
 */
export class StudyAnswerCache {
  private readonly entries = new Map<string, { version: string; base: string; text: string; at: number }>();

  constructor(
    private readonly capacity = 20_000,
    private readonly maxAgeMs = 10 * 60_000,
  ) {}

  get(id: string, version: string, base: string, now = Date.now()): string | undefined {
    const e = this.entries.get(id);
    if (!e || e.version !== version || e.base !== base || now - e.at > this.maxAgeMs) return undefined;
    // Most recently used goes last (Map keeps insertion order).
    this.entries.delete(id);
    this.entries.set(id, e);
    return e.text;
  }

  set(id: string, version: string, base: string, text: string, now = Date.now()): void {
    this.entries.delete(id);
    this.entries.set(id, { version, base, text, at: now });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}
