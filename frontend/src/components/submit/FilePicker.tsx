'use client';

import { useEffect, useRef, useState, type ChangeEvent, type Ref } from 'react';
import { dragHasFiles, filesFromDrop, filesFromList, type Picked } from '@/lib/file-drop';

interface Props {
  onPicked: (picked: Picked) => void;
  /** id of the error message about files, if any (for aria-describedby). */
  errorId?: string;
  invalid?: boolean;
  /** Called with the "Choose folder" button so the form can focus it. */
  folderButtonRef?: Ref<HTMLButtonElement>;
}

// React has no typing for these; they are plain attributes on the element.
const DIRECTORY_ATTRS = { webkitdirectory: '', directory: '' } as Record<string, string>;

/**
 * Drop zone (the whole page takes drops while it is shown, so a folder dropped a
 * little off target is not opened by the browser instead), plus "Choose folder"
 * and "Choose files" buttons that open the hidden file inputs.
 */
export function FilePicker({ onPicked, errorId, invalid, folderButtonRef }: Props) {
  const filesInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  const [reading, setReading] = useState(false);
  const onPickedRef = useRef(onPicked);
  onPickedRef.current = onPicked;

  useEffect(() => {
    let depth = 0;
    const enter = (e: DragEvent) => {
      if (!dragHasFiles(e)) return;
      e.preventDefault();
      depth++;
      setDragging(true);
    };
    const over = (e: DragEvent) => {
      if (!dragHasFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const leave = (e: DragEvent) => {
      if (!dragHasFiles(e)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const drop = (e: DragEvent) => {
      if (!e.dataTransfer || !dragHasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      setDragging(false);
      setReading(true);
      filesFromDrop(e.dataTransfer)
        .then((picked) => onPickedRef.current(picked))
        .finally(() => setReading(false));
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragover', over);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragover', over);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
    };
  }, []);

  const fromInput = (e: ChangeEvent<HTMLInputElement>) => {
    onPickedRef.current(filesFromList(e.currentTarget.files));
    e.currentTarget.value = ''; // choosing the same files again still fires change
  };

  return (
    <div className={`dropzone${dragging ? ' dropzone-active' : ''}${invalid ? ' dropzone-invalid' : ''}`}>
      <p className="dropzone-title">{reading ? 'Reading the folder…' : 'Drop the study folder here'}</p>
      <div className="dropzone-actions">
        <button
          type="button"
          className="btn"
          ref={folderButtonRef}
          onClick={() => folderInput.current?.click()}
          aria-describedby={errorId}
        >
          Choose folder
        </button>
        <button type="button" className="btn" onClick={() => filesInput.current?.click()}>
          Choose files
        </button>
      </div>
      <p className="dropzone-hint muted small">
        Everything in the folder is sent except hidden files (.DS_Store and the like). The server checks each file and
        says why if it refuses one.
      </p>
      <input
        ref={folderInput}
        type="file"
        multiple
        {...DIRECTORY_ATTRS}
        className="visually-hidden"
        tabIndex={-1}
        aria-hidden="true"
        data-testid="submit-folder-input"
        onChange={fromInput}
      />
      <input
        ref={filesInput}
        type="file"
        multiple
        className="visually-hidden"
        tabIndex={-1}
        aria-hidden="true"
        data-testid="submit-files-input"
        onChange={fromInput}
      />
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          <span>Drop to add the files</span>
        </div>
      )}
    </div>
  );
}
