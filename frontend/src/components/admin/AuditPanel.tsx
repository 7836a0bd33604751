'use client';

import { useState, type FormEvent } from 'react';
import { ApiErrorView } from '@/components/ApiErrorView';
import { api, errorMessage } from '@/lib/api';
import { formatDateTime, orDash } from '@/lib/format';
import { useApiResource } from '@/lib/hooks';
import type { AuditQuery } from '@/lib/types';

const LIMIT = 50;
const EMPTY: Required<AuditQuery> = { action: '', actorId: '', patientId: '' };

export function AuditPanel() {
  const [draft, setDraft] = useState(EMPTY);
  const [filters, setFilters] = useState(EMPTY);
  const [offset, setOffset] = useState(0);
  const [downloading, setDownloading] = useState(false);
  const [downloadError, setDownloadError] = useState<string | null>(null);

  const key = JSON.stringify({ ...filters, offset });
  const { data, error, loading, reload } = useApiResource(key, (signal) =>
    api.audit(filters, LIMIT, offset, { signal }),
  );

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setOffset(0);
    setFilters({ action: draft.action.trim(), actorId: draft.actorId.trim(), patientId: draft.patientId.trim() });
  };

  const download = async () => {
    setDownloading(true);
    setDownloadError(null);
    try {
      const blob = await api.auditFhir(filters);
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `teleread-audit-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.fhir.json`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setDownloadError(errorMessage(err));
    } finally {
      setDownloading(false);
    }
  };

  const set = (k: keyof AuditQuery) => (e: { target: { value: string } }) =>
    setDraft((d) => ({ ...d, [k]: e.target.value }));
  const total = data?.total ?? 0;

  return (
    <>
      <form className="card filters" onSubmit={apply} aria-label="Audit filters">
        <label>
          Action
          <input id="audit-action" name="action" value={draft.action} onChange={set('action')} placeholder="e.g. study.view" />
        </label>
        <label>
          Actor ID
          <input id="audit-actorId" name="actorId" value={draft.actorId} onChange={set('actorId')} />
        </label>
        <label>
          Patient ID
          <input id="audit-patientId" name="patientId" value={draft.patientId} onChange={set('patientId')} placeholder="patient UUID" />
        </label>
        <button type="submit" className="btn btn-primary">
          Apply filters
        </button>
        <button
          type="button"
          className="btn"
          onClick={() => {
            setDraft(EMPTY);
            setFilters(EMPTY);
            setOffset(0);
          }}
        >
          Clear
        </button>
        <span className="spacer" />
        <button type="button" className="btn" onClick={() => void download()} disabled={downloading} data-testid="audit-fhir-download">
          {downloading ? 'Preparing…' : 'Download FHIR AuditEvent bundle'}
        </button>
      </form>
      {downloadError && (
        <div className="alert alert-error" role="alert">
          <strong>{downloadError}</strong>
        </div>
      )}
      <ApiErrorView error={error} onRetry={reload} />
      {data && (
        <>
          <div className="table-wrap">
            <table className="table table-dense">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Actor</th>
                  <th>Action</th>
                  <th>Object</th>
                  <th>Patient</th>
                  <th>Hospital</th>
                  <th>Source</th>
                  <th>Outcome</th>
                  <th>Request</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((e) => (
                  <tr key={e.id} data-testid="audit-row" data-action={e.action}>
                    <td className="nowrap">{formatDateTime(e.at, true)}</td>
                    <td>
                      <div className="strong">{orDash(e.actorName ?? e.actorId)}</div>
                      <div className="muted small">
                        {e.actorKind}
                        {e.actorRole ? ` · ${e.actorRole}` : ''}
                      </div>
                    </td>
                    <td className="mono">{e.action}</td>
                    <td>
                      <div>{orDash(e.objectType)}</div>
                      <div className="muted small mono">{orDash(e.objectId)}</div>
                    </td>
                    <td className="mono" title={e.patientIds.join('\n') || undefined}>
                      {e.patientIds.length <= 1 ? orDash(e.patientIds[0]) : `${e.patientIds.length} patients`}
                    </td>
                    <td className="mono small">{orDash(e.hospitalId)}</td>
                    <td className="mono small">{orDash(e.sourceIp)}</td>
                    <td>
                      <span className={`outcome outcome-${String(e.outcome).toLowerCase()}`}>{e.outcome}</span>
                    </td>
                    <td className="mono small">{orDash(e.requestId)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {data.items.length === 0 && <p className="empty">No audit events match.</p>}
          </div>
          <div className="pager">
            <button type="button" className="btn btn-small" disabled={offset === 0 || loading} onClick={() => setOffset(Math.max(0, offset - LIMIT))}>
              Previous
            </button>
            <span className="muted">
              {total === 0 ? '0' : `${offset + 1}–${Math.min(offset + LIMIT, total)}`} of {total}
            </span>
            <button
              type="button"
              className="btn btn-small"
              disabled={offset + LIMIT >= total || loading}
              onClick={() => setOffset(offset + LIMIT)}
            >
              Next
            </button>
          </div>
        </>
      )}
    </>
  );
}
