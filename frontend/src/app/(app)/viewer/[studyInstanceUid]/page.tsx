'use client';

import { use } from 'react';
import { ApiErrorView } from '@/components/ApiErrorView';
import { PriorityBadge, StateBadge } from '@/components/PriorityBadge';
import { api } from '@/lib/api';
import { formatDateTime, formatDicomDate, formatPersonName, joinOrDash, orDash } from '@/lib/format';
import { useApiResource } from '@/lib/hooks';

export default function ViewerPage({ params }: { params: Promise<{ studyInstanceUid: string }> }) {
  const { studyInstanceUid: raw } = use(params);
  const uid = decodeURIComponent(raw);
  const { data: study, error, reload } = useApiResource(`study:${uid}`, (signal) => api.study(uid, { signal }));

  if (error) {
    return <ApiErrorView error={error} notFound="Study not found or not available to you" onRetry={reload} />;
  }
  if (!study) return <p className="muted">Loading study…</p>;

  return (
    <>
      <div className="page-head">
        <h1 data-testid="study-patient">
          {formatPersonName(study.patientName)} <span className="muted mono">{orDash(study.patientMrn)}</span>
        </h1>
        <div className="chips">
          <PriorityBadge priority={study.priority} />
          <StateBadge state={study.state} />
        </div>
      </div>
      <dl className="facts" data-testid="study-header">
        <dt>Description</dt>
        <dd>{orDash(study.description)}</dd>
        <dt>Study date</dt>
        <dd>{formatDicomDate(study.studyDate)}</dd>
        <dt>Accession</dt>
        <dd className="mono">{orDash(study.accessionNumber)}</dd>
        <dt>Modalities</dt>
        <dd>{joinOrDash(study.modalities)}</dd>
        <dt>Hospital</dt>
        <dd>{orDash(study.hospitalName ?? study.hospitalId)}</dd>
        <dt>Received</dt>
        <dd>{formatDateTime(study.receivedAt)}</dd>
        <dt>Images</dt>
        <dd>
          {study.numInstances} in {study.numSeries} series
        </dd>
        <dt>Study UID</dt>
        <dd className="mono small">{study.studyInstanceUid}</dd>
      </dl>

      <h2>Series</h2>
      <div className="table-wrap">
        <table className="table">
          <thead>
            <tr>
              <th className="num">#</th>
              <th>Modality</th>
              <th>Description</th>
              <th className="num">Images</th>
              <th>Series UID</th>
            </tr>
          </thead>
          <tbody>
            {study.series.map((s) => (
              <tr key={s.seriesInstanceUid} data-testid="series-row">
                <td className="num">{orDash(s.seriesNumber)}</td>
                <td>{orDash(s.modality)}</td>
                <td>{orDash(s.description)}</td>
                <td className="num">{s.numInstances}</td>
                <td className="mono small">{s.seriesInstanceUid}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted placeholder-note">The diagnostic image viewer opens here in a coming release.</p>
    </>
  );
}
