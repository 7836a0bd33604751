'use client';

import { useEffect, useRef } from 'react';
import { useRouter } from 'next/navigation';
import { formatDateTime, formatDicomDate, formatPersonName, joinOrDash, orDash } from '@/lib/format';
import type { Study } from '@/lib/types';
import { PriorityBadge, StateBadge } from './PriorityBadge';

export function StudiesTable({ items, highlightUid }: { items: Study[]; highlightUid?: string }) {
  const router = useRouter();
  const highlighted = useRef<HTMLTableRowElement>(null);
  const present = Boolean(highlightUid && items.some((s) => s.studyInstanceUid === highlightUid));
  // Bring the study the user came for (?study=) into view once it is in the list.
  useEffect(() => {
    if (present) highlighted.current?.scrollIntoView({ block: 'nearest' });
  }, [present]);
  if (items.length === 0) {
    return <p className="empty">No studies received yet.</p>;
  }
  return (
    <div className="table-wrap">
      <table className="table table-clickable">
        <thead>
          <tr>
            <th>Patient</th>
            <th>MRN</th>
            <th>Study date</th>
            <th>Accession</th>
            <th>Description</th>
            <th>Modalities</th>
            <th className="num">Series</th>
            <th className="num">Images</th>
            <th>Received</th>
            <th>Status</th>
            <th>Priority</th>
            <th>Reading</th>
          </tr>
        </thead>
        <tbody>
          {items.map((s) => {
            const open = () => router.push(`/viewer/${encodeURIComponent(s.studyInstanceUid)}`);
            const isHighlighted = s.studyInstanceUid === highlightUid;
            return (
              <tr
                key={s.id}
                ref={isHighlighted ? highlighted : undefined}
                className={isHighlighted ? 'row-highlight' : undefined}
                aria-current={isHighlighted ? 'true' : undefined}
                data-testid="study-row"
                data-study-uid={s.studyInstanceUid}
                tabIndex={0}
                role="link"
                onClick={open}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') open();
                }}
              >
                <td className="strong">{formatPersonName(s.patientName)}</td>
                <td className="mono">{orDash(s.patientMrn)}</td>
                <td className="nowrap">{formatDicomDate(s.studyDate)}</td>
                <td className="mono">{orDash(s.accessionNumber)}</td>
                <td>{orDash(s.description)}</td>
                <td>{joinOrDash(s.modalities)}</td>
                <td className="num">{s.numSeries}</td>
                <td className="num">{s.numInstances}</td>
                <td className="nowrap">{formatDateTime(s.receivedAt)}</td>
                <td>{orDash(s.status)}</td>
                <td>
                  <PriorityBadge priority={s.priority} />
                </td>
                <td>
                  <StateBadge state={s.state} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
