'use client';

import { memo, useState } from 'react';
import { formatBytes } from '@/lib/format';
import { uploadStore, type FileRow, type Phase } from '@/lib/upload-store';

const PROBLEM = new Set(['rejected', 'error']);

function StatusCell({ row, sending }: { row: FileRow; sending: boolean }) {
  switch (row.status) {
    case 'pending':
      return <span className="muted">{sending ? 'Queued' : 'Ready'}</span>;
    case 'uploading': {
      const pct = row.size ? Math.min(100, Math.round((row.loaded / row.size) * 100)) : 0;
      const sent = row.loaded >= row.size;
      return (
        <span className="file-progress">
          <progress max={100} value={pct} aria-label={`Upload of ${row.path}`} />
          <span className="muted small nowrap">{sent ? 'Checking…' : `${pct}%`}</span>
        </span>
      );
    }
    case 'stored':
      return (
        <span className="file-ok">
          ✓ Stored{row.message && <span className="muted small"> · {row.message}</span>}
        </span>
      );
    case 'duplicate':
      return <span className="file-ok file-dup">✓ Already stored</span>;
    case 'rejected':
      return (
        <span className="file-bad">
          ✕ Rejected: <span className="file-reason">{row.message}</span>
        </span>
      );
    case 'error':
      return (
        <span className="file-bad">
          ! Not sent: <span className="file-reason">{row.message}</span>
        </span>
      );
  }
}

const Row = memo(function Row({ row, phase }: { row: FileRow; phase: Phase }) {
  const sending = phase === 'sending';
  const removable = !sending && row.status === 'pending' && phase !== 'ordering';
  return (
    <tr data-testid="file-row" data-status={row.status} data-path={row.path} className={PROBLEM.has(row.status) ? 'row-problem' : undefined}>
      <td className="file-path mono" title={row.path}>
        {row.path}
      </td>
      <td className="num nowrap">{formatBytes(row.size)}</td>
      <td className="file-status">
        <StatusCell row={row} sending={sending} />
      </td>
      <td className="file-action">
        {row.status === 'error' && (
          <button type="button" className="btn btn-small" onClick={() => uploadStore.retry(row.id)} aria-label={`Retry ${row.path}`}>
            Retry
          </button>
        )}
        {removable && (
          <button type="button" className="btn btn-small btn-ghost" onClick={() => uploadStore.remove(row.id)} aria-label={`Remove ${row.path}`}>
            Remove
          </button>
        )}
      </td>
    </tr>
  );
});

export function FileTable({ rows, phase, problems }: { rows: FileRow[]; phase: Phase; problems: number }) {
  const [onlyProblems, setOnlyProblems] = useState(false);
  const showOnlyProblems = onlyProblems && problems > 0;
  const shown = showOnlyProblems ? rows.filter((r) => PROBLEM.has(r.status)) : rows;
  return (
    <>
      {problems > 0 && (
        <div className="file-filter" role="group" aria-label="Show files">
          <button type="button" className={`chip${showOnlyProblems ? '' : ' chip-on'}`} aria-pressed={!showOnlyProblems} onClick={() => setOnlyProblems(false)}>
            All ({rows.length})
          </button>
          <button type="button" className={`chip${showOnlyProblems ? ' chip-on' : ''}`} aria-pressed={showOnlyProblems} onClick={() => setOnlyProblems(true)}>
            Problems ({problems})
          </button>
        </div>
      )}
      <div className="table-wrap file-table-wrap">
        <table className="table table-dense file-table">
          <thead>
            <tr>
              <th>File</th>
              <th className="num">Size</th>
              <th>Result</th>
              <th>
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((row) => (
              <Row key={row.id} row={row} phase={phase} />
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
