/**
 * The study being submitted from this tab: its files, their upload state and the order.
 *
 * Lives outside React on purpose: uploads keep going when the user opens another
 * page of the app (top-bar link) and are there again on return to the submit page.
 * Signing out (here or in another tab) cancels everything and forgets the files.
 *
 * Upload: one file per STOW-RS request, CONCURRENCY requests at a time, in the
 * order the files were added.
 */
import { useSyncExternalStore } from 'react';
import { onAuthChange, tokens } from './api';
import { readDicomHeader, type DicomHeader } from './dicom-header';
import type { Picked } from './file-drop';
import { stowFile, type StowOutcome } from './stow';
import type { Priority, Subspecialty } from './types';

export const CONCURRENCY = 4;

/** STUDY_STABLE_SECONDS on the server defaults to 30. */
export const WORKLIST_DELAY_NOTE = "The study enters the radiologists' worklist about 30 s after the last image arrives.";
const HEADER_CONCURRENCY = 6;

export type FileStatus = 'pending' | 'uploading' | 'stored' | 'duplicate' | 'rejected' | 'error';

export interface FileRow {
  id: number;
  path: string;
  size: number;
  status: FileStatus;
  /** Bytes of this file's request sent so far. */
  loaded: number;
  /** Rejection reason, error, or warning of a stored file. */
  message?: string;
  studyInstanceUid?: string;
  attempts: number;
}

/** The files of one study, as their headers say (for the staff to check they send the right patient). */
export interface StudyGroup {
  studyInstanceUid: string;
  files: number;
  patientName?: string;
  patientId?: string;
  accessionNumbers: string[];
  studyDate?: string;
  description?: string;
  modalities: string[];
}

export interface SubmittedOrder {
  accessionNumber: string;
  priority: Priority;
  indication: string;
  subspecialty?: Subspecialty;
  /** The order already existed (409): the images go to that one, this priority was not saved. */
  existing: boolean;
  /** What the server said (for an existing order). */
  message?: string;
}

/** edit: the form; ordering: POST /api/orders in flight; exists: 409, waiting for the user; sending: uploads. */
export type Phase = 'edit' | 'ordering' | 'exists' | 'sending';

export type Counts = Record<FileStatus, number>;

export interface UploadSnapshot {
  rows: FileRow[];
  phase: Phase;
  order: SubmittedOrder | null;
  /** 409 message while phase is 'exists'. */
  conflict: string | null;
  counts: Counts;
  totalBytes: number;
  /** Bytes of finished files plus bytes sent of files in flight. */
  sentBytes: number;
  /** Sending, and nothing pending or in flight. */
  done: boolean;
  /** Study Instance UIDs the stored (or already stored) files belong to. */
  storedStudies: string[];
  /** From the file headers read so far. */
  studies: StudyGroup[];
  headersRead: number;
  /** Files without the Part-10 "DICM" header (the server will say why it refuses them). */
  notPart10: number;
  /** Left out when added: dotfiles, unreadable entries, the same file twice. */
  skipped: { hidden: number; unreadable: number; duplicates: number };
}

const EMPTY_COUNTS: Counts = { pending: 0, uploading: 0, stored: 0, duplicate: 0, rejected: 0, error: 0 };

const EMPTY: UploadSnapshot = {
  rows: [],
  phase: 'edit',
  order: null,
  conflict: null,
  counts: EMPTY_COUNTS,
  totalBytes: 0,
  sentBytes: 0,
  done: false,
  storedStudies: [],
  studies: [],
  headersRead: 0,
  notPart10: 0,
  skipped: { hidden: 0, unreadable: 0, duplicates: 0 },
};

const FINISHED: ReadonlySet<FileStatus> = new Set(['stored', 'duplicate', 'rejected', 'error']);

class UploadStore {
  private rows = new Map<number, FileRow>();
  private files = new Map<number, File>();
  private keys = new Map<string, number>();
  private headers = new Map<number, DicomHeader | null>();
  private headerWaiting: number[] = [];
  private headerActive = 0;
  private headerIdle: (() => void)[] = [];
  private waiting: number[] = [];
  private active = new Map<number, AbortController>();
  private phase: Phase = 'edit';
  private order: SubmittedOrder | null = null;
  private conflict: string | null = null;
  private skipped = { hidden: 0, unreadable: 0, duplicates: 0 };
  private nextId = 1;
  private generation = 0;

  private snapshot: UploadSnapshot = EMPTY;
  private listeners = new Set<() => void>();
  private scheduled = false;

  // ------------------------------------------------------------ React binding

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = () => this.snapshot;

  getServerSnapshot = () => EMPTY;

  /** Rebuild the snapshot; `now` for status changes, otherwise once per frame (progress). */
  private changed(now = true) {
    if (now) {
      this.emit();
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    const flush = () => {
      if (this.scheduled) this.emit();
    };
    if (typeof requestAnimationFrame === 'function' && document.visibilityState === 'visible') requestAnimationFrame(flush);
    else setTimeout(flush, 100);
  }

  private emit() {
    this.scheduled = false;
    this.snapshot = this.build();
    for (const l of this.listeners) l();
  }

  private build(): UploadSnapshot {
    const rows = Array.from(this.rows.values());
    const counts: Counts = { ...EMPTY_COUNTS };
    let totalBytes = 0;
    let sentBytes = 0;
    const stored = new Set<string>();
    for (const r of rows) {
      counts[r.status]++;
      totalBytes += r.size;
      sentBytes += FINISHED.has(r.status) ? r.size : r.status === 'uploading' ? Math.min(r.loaded, r.size) : 0;
      if ((r.status === 'stored' || r.status === 'duplicate') && r.studyInstanceUid) stored.add(r.studyInstanceUid);
    }
    const groups = new Map<string, StudyGroup>();
    let notPart10 = 0;
    let headersRead = 0;
    for (const [id, h] of this.headers) {
      if (!this.rows.has(id)) continue;
      headersRead++;
      if (h === null) {
        notPart10++;
        continue;
      }
      if (!h.studyInstanceUid) continue;
      let g = groups.get(h.studyInstanceUid);
      if (!g) {
        g = { studyInstanceUid: h.studyInstanceUid, files: 0, accessionNumbers: [], modalities: [] };
        groups.set(h.studyInstanceUid, g);
      }
      g.files++;
      g.patientName ??= h.patientName;
      g.patientId ??= h.patientId;
      g.studyDate ??= h.studyDate;
      g.description ??= h.studyDescription;
      if (h.accessionNumber && !g.accessionNumbers.includes(h.accessionNumber)) g.accessionNumbers.push(h.accessionNumber);
      if (h.modality && !g.modalities.includes(h.modality)) g.modalities.push(h.modality);
    }
    return {
      rows,
      phase: this.phase,
      order: this.order,
      conflict: this.conflict,
      counts,
      totalBytes,
      sentBytes,
      done: this.phase === 'sending' && rows.length > 0 && counts.pending === 0 && counts.uploading === 0,
      storedStudies: [...stored],
      studies: [...groups.values()].sort((a, b) => b.files - a.files),
      headersRead,
      notPart10,
      skipped: { ...this.skipped },
    };
  }

  private setRow(id: number, patch: Partial<FileRow>, now = true) {
    const row = this.rows.get(id);
    if (!row) return;
    this.rows.set(id, { ...row, ...patch });
    this.changed(now);
  }

  // ------------------------------------------------------------ files

  /** Adds files (the same file twice is left out). While sending, they are uploaded at once. */
  add(picked: Picked): { added: number; duplicates: number } {
    let added = 0;
    let duplicates = 0;
    for (const { file, path } of picked.files) {
      const key = `${path}\u0000${file.size}\u0000${file.lastModified}`;
      if (this.keys.has(key)) {
        duplicates++;
        continue;
      }
      const id = this.nextId++;
      this.keys.set(key, id);
      this.files.set(id, file);
      this.rows.set(id, { id, path, size: file.size, status: 'pending', loaded: 0, attempts: 0 });
      this.headerWaiting.push(id);
      if (this.phase === 'sending') this.waiting.push(id);
      added++;
    }
    this.skipped.hidden += picked.skipped;
    this.skipped.unreadable += picked.unreadable;
    this.skipped.duplicates += duplicates;
    this.changed();
    this.pumpHeaders();
    this.pump();
    return { added, duplicates };
  }

  /** Removes a file that has not been sent. */
  remove(id: number) {
    const row = this.rows.get(id);
    if (!row || row.status === 'uploading' || (row.status === 'pending' && this.phase === 'sending')) return;
    this.rows.delete(id);
    this.files.delete(id);
    this.headers.delete(id);
    for (const [k, v] of this.keys) if (v === id) this.keys.delete(k);
    this.changed();
  }

  // ------------------------------------------------------------ headers

  private pumpHeaders() {
    const generation = this.generation;
    while (this.headerActive < HEADER_CONCURRENCY && this.headerWaiting.length) {
      const id = this.headerWaiting.shift()!;
      const file = this.files.get(id);
      if (!file) continue;
      this.headerActive++;
      void readDicomHeader(file)
        .then((h) => {
          if (generation !== this.generation) return;
          this.headers.set(id, h);
          this.changed(false);
        })
        .finally(() => {
          if (generation !== this.generation) return;
          this.headerActive--;
          this.pumpHeaders();
        });
    }
    if (this.headerActive === 0 && this.headerWaiting.length === 0) {
      for (const resolve of this.headerIdle.splice(0)) resolve();
      this.changed();
    }
  }

  /** Resolves once every added file's header has been read. */
  headersReady(): Promise<void> {
    if (this.headerActive === 0 && this.headerWaiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.headerIdle.push(resolve));
  }

  // ------------------------------------------------------------ order

  beginOrder() {
    this.phase = 'ordering';
    this.conflict = null;
    this.changed();
  }

  /** The order could not be created (validation, network): back to the form. */
  orderFailed() {
    this.phase = 'edit';
    this.changed();
  }

  /** 409: an order for this accession number exists; the user decides. */
  orderExists(order: SubmittedOrder, message: string) {
    this.phase = 'exists';
    this.order = order;
    this.conflict = message;
    this.changed();
  }

  /** Back from the 409 question to the form (to change the accession number). */
  editOrder() {
    this.phase = 'edit';
    this.order = null;
    this.conflict = null;
    this.changed();
  }

  /** The order is in place (created, or existing and accepted): send every file not sent yet. */
  startSending(order: SubmittedOrder) {
    this.order = order;
    this.conflict = null;
    this.phase = 'sending';
    for (const row of this.rows.values()) if (row.status === 'pending') this.waiting.push(row.id);
    this.changed();
    this.pump();
  }

  // ------------------------------------------------------------ upload

  private pump() {
    if (this.phase !== 'sending') return;
    const generation = this.generation;
    while (this.active.size < CONCURRENCY && this.waiting.length) {
      const id = this.waiting.shift()!;
      const file = this.files.get(id);
      const row = this.rows.get(id);
      if (!file || !row || row.status !== 'pending') continue;
      const controller = new AbortController();
      this.active.set(id, controller);
      this.setRow(id, { status: 'uploading', loaded: 0, message: undefined, attempts: row.attempts + 1 });
      stowFile(file, (loaded) => this.setRow(id, { loaded }, false), controller.signal)
        .then((outcome) => {
          if (generation === this.generation) this.finish(id, outcome);
        })
        .catch(() => {
          /* cancelled: reset or sign-out */
        })
        .finally(() => {
          if (generation !== this.generation) return;
          this.active.delete(id);
          this.pump();
        });
    }
  }

  private finish(id: number, outcome: StowOutcome) {
    const row = this.rows.get(id);
    if (!row) return;
    switch (outcome.status) {
      case 'stored':
      case 'duplicate':
        this.setRow(id, { status: outcome.status, loaded: row.size, message: outcome.status === 'stored' ? outcome.warning : undefined, studyInstanceUid: outcome.studyInstanceUid });
        break;
      default:
        this.setRow(id, { status: outcome.status, message: outcome.message });
    }
  }

  /** Sends a file again (after a network error). */
  retry(id: number) {
    const row = this.rows.get(id);
    if (!row || row.status !== 'error' || this.phase !== 'sending') return;
    this.setRow(id, { status: 'pending', loaded: 0, message: undefined });
    this.waiting.push(id);
    this.pump();
  }

  retryFailed() {
    for (const row of this.rows.values()) if (row.status === 'error') this.retry(row.id);
  }

  /** Cancels everything and forgets the files and the order (after sign-out, or "Submit another study"). */
  reset() {
    this.generation++;
    for (const c of this.active.values()) c.abort();
    this.active.clear();
    this.waiting = [];
    this.rows.clear();
    this.files.clear();
    this.keys.clear();
    this.headers.clear();
    this.headerWaiting = [];
    this.headerActive = 0;
    for (const resolve of this.headerIdle.splice(0)) resolve();
    this.phase = 'edit';
    this.order = null;
    this.conflict = null;
    this.skipped = { hidden: 0, unreadable: 0, duplicates: 0 };
    this.emit();
  }

  /** Something would be lost by leaving the page (reload / close). */
  get busy(): boolean {
    return this.phase === 'ordering' || this.active.size > 0 || this.waiting.length > 0;
  }
}

export const uploadStore = new UploadStore();

if (typeof window !== 'undefined') {
  onAuthChange(() => {
    if (!tokens.has()) uploadStore.reset();
  });
}

/** The upload state, for React components. */
export function useUploadSnapshot(): UploadSnapshot {
  return useSyncExternalStore(uploadStore.subscribe, uploadStore.getSnapshot, uploadStore.getServerSnapshot);
}
