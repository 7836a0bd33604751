/** Files out of a drop (folders walked recursively) or a file input, for the submit page. */
import type { DragEvent as ReactDragEvent } from 'react';

export interface PickedFile {
  file: File;
  /** Path inside the dropped or chosen folder ("CT/IM0001"), or the file name. */
  path: string;
}

export interface Picked {
  files: PickedFile[];
  /** Dotfiles and dot-folders left out (.DS_Store, ._IM0001, .git/…). */
  skipped: number;
  /** Entries the browser could not read (permissions, files removed meanwhile). */
  unreadable: number;
}

/** A path with a segment starting with "." (macOS metadata, hidden folders). */
export function isHiddenPath(path: string): boolean {
  return path.split('/').some((segment) => segment.startsWith('.'));
}

function pathOf(file: File): string {
  return file.webkitRelativePath || file.name;
}

/** Files of an <input type="file"> (with or without webkitdirectory). */
export function filesFromList(list: FileList | null): Picked {
  const out: Picked = { files: [], skipped: 0, unreadable: 0 };
  for (const file of Array.from(list ?? [])) {
    const path = pathOf(file);
    if (isHiddenPath(path)) out.skipped++;
    else out.files.push({ file, path });
  }
  return out;
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

function readBatch(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

async function walk(entry: FileSystemEntry, out: Picked): Promise<void> {
  const path = entry.fullPath.replace(/^\/+/, '') || entry.name;
  if (entry.name.startsWith('.')) {
    out.skipped++;
    return;
  }
  try {
    if (entry.isFile) {
      out.files.push({ file: await fileOf(entry as FileSystemFileEntry), path });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      // readEntries answers in batches (100 at a time in Chromium) until an empty one.
      for (;;) {
        const batch = await readBatch(reader);
        if (batch.length === 0) break;
        for (const child of batch) await walk(child, out);
      }
    }
  } catch {
    out.unreadable++;
  }
}

/**
 * Files of a drop. The DataTransfer is only readable during the drop event, so the
 * entries are taken synchronously before anything is awaited.
 */
export function filesFromDrop(dt: DataTransfer): Promise<Picked> {
  const entries: FileSystemEntry[] = [];
  const loose: File[] = [];
  for (const item of Array.from(dt.items ?? [])) {
    if (item.kind !== 'file') continue;
    const entry = typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null;
    if (entry) entries.push(entry);
    else {
      const file = item.getAsFile();
      if (file) loose.push(file);
    }
  }
  if (entries.length === 0 && loose.length === 0) loose.push(...Array.from(dt.files ?? []));

  return (async () => {
    const out: Picked = { files: [], skipped: 0, unreadable: 0 };
    for (const entry of entries) await walk(entry, out);
    for (const file of loose) {
      if (isHiddenPath(file.name)) out.skipped++;
      else out.files.push({ file, path: file.name });
    }
    return out;
  })();
}

/** Does this drag carry files (not text or a link)? */
export function dragHasFiles(e: DragEvent | ReactDragEvent): boolean {
  return Array.from(e.dataTransfer?.types ?? []).includes('Files');
}
