import type { Readable } from 'node:stream';
import { isDicomUidText } from '../common/schemas.js';

export interface StoredObject {
  sizeBytes: number;
  /** Hex SHA-256 of the bytes as stored. */
  sha256: string;
}

/**
 * Where DICOM Part-10 files live. Keys are relative paths chosen by the caller
 * (hospital/study/series/instance), never user input. The file system store is
 * the default; an object store (S3) implements the same four calls.
 */
export interface ImageStore {
  /** Writes atomically: readers see the whole object or nothing, never a partial file. */
  put(key: string, data: Buffer | Readable): Promise<StoredObject>;
  /**
   * Moves a finished local file into the store (cheaper than put for files already on disk).
   * `synced`: the file's bytes are already durable (written with writeDurable), so the store
   * need not flush them again.
   */
  adopt(key: string, localPath: string, options?: AdoptOptions): Promise<void>;
  /**
   * adopt(), unless an object is already stored under the key: then false, and the local
   * file is left where it is. Atomic: of two concurrent callers for one key, one wins.
   */
  adoptIfAbsent(key: string, localPath: string, options?: AdoptOptions): Promise<boolean>;
  /** The object, or only bytes [start, end) of it (frame and bulk data reads). */
  read(key: string, range?: { start: number; end: number }): Readable;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
}

export interface AdoptOptions {
  synced?: boolean;
}

export const IMAGE_STORE = Symbol('IMAGE_STORE');

/** Storage key of one instance: hospital / study / series / SOP instance. */
export function instanceKey(hospitalId: string, studyUid: string, seriesUid: string, sopUid: string): string {
  for (const part of [studyUid, seriesUid, sopUid]) {
    if (!isDicomUidText(part)) throw new Error(`not a DICOM UID: ${part}`);
  }
  if (!/^[0-9a-f-]{36}$/.test(hospitalId)) throw new Error(`not a hospital id: ${hospitalId}`);
  return `${hospitalId}/${studyUid}/${seriesUid}/${sopUid}.dcm`;
}
