// Minimal typings for the parts of dcmjs (no bundled types) that the backend uses.
// Only what is actually called is declared; extend it when you use more of the library.
declare module 'dcmjs' {
  /** DICOM JSON model keyed by 8-digit upper-case hex tag, e.g. '00100010'. */
  export type DicomJsonDataset = Record<string, { vr: string; Value?: unknown[] }>;
  /** Keyword-keyed dataset ('PatientName', ...) as produced by naturalizeDataset. */
  export type NaturalizedDataset = Record<string, unknown> & { _vrMap?: Record<string, string> };

  export namespace data {
    class DicomDict {
      constructor(meta: DicomJsonDataset);
      meta: DicomJsonDataset;
      dict: DicomJsonDataset;
      /** Serialises preamble + 'DICM' + file meta group + data set. */
      write(options?: { allowInvalidVRLength?: boolean }): ArrayBuffer;
    }
    const DicomMessage: {
      readFile(
        buffer: ArrayBuffer,
        options?: { ignoreErrors?: boolean; untilTag?: string; includeUntilTagValue?: boolean; noCopy?: boolean },
      ): DicomDict;
    };
    const DicomMetaDictionary: {
      denaturalizeDataset(dataset: NaturalizedDataset): DicomJsonDataset;
      naturalizeDataset(dataset: DicomJsonDataset): NaturalizedDataset;
      /** The PS3.6 data dictionary by keyword: tag as '(GGGG,EEEE)', VR possibly 'US|SS'. */
      nameMap: Record<string, { tag: string; vr: string; vm: string; name: string; version: string }>;
    };
  }

  /** loglevel logger used by dcmjs for its warnings. */
  type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';
  const log: { setLevel(level: LogLevel): void; getLogger(name: string): { setLevel(level: LogLevel): void } };
  const dcmjs: { data: typeof data; log: typeof log };
  export default dcmjs;
}
