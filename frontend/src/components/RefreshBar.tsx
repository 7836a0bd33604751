'use client';

import { formatDateTime } from '@/lib/format';

interface Props {
  loading: boolean;
  updatedAt: number | null;
  total?: number;
  noun: string;
  onRefresh: () => void;
}

export function RefreshBar({ loading, updatedAt, total, noun, onRefresh }: Props) {
  return (
    <div className="toolbar">
      <span className="muted">
        {total !== undefined && (
          <>
            <strong className="count">{total}</strong> {noun}
            {' · '}
          </>
        )}
        {updatedAt ? `updated ${formatDateTime(new Date(updatedAt).toISOString(), true).slice(11)}` : 'not loaded yet'}
      </span>
      <button type="button" className="btn btn-small" onClick={onRefresh} disabled={loading} aria-busy={loading}>
        Refresh
      </button>
    </div>
  );
}
