'use client';

import { useRouter } from 'next/navigation';
import { formatPersonName, orDash, timeLeft } from '@/lib/format';
import { useNow } from '@/lib/hooks';
import type { WorklistItem } from '@/lib/types';
import { PriorityBadge, StateBadge } from './PriorityBadge';

function viewerHref(uid: string) {
  return `/viewer/${encodeURIComponent(uid)}`;
}

export function WorklistTable({ items }: { items: WorklistItem[] }) {
  const router = useRouter();
  const now = useNow(1000);

  if (items.length === 0) {
    return <p className="empty">No cases waiting for you.</p>;
  }
  return (
    <div className="table-wrap">
      <table className="table table-clickable">
        <thead>
          <tr>
            <th>Priority</th>
            <th>Time left</th>
            <th>Patient</th>
            <th>MRN</th>
            <th>Modality</th>
            <th>Description</th>
            <th>Hospital</th>
            <th>Subspecialty</th>
            <th>State</th>
          </tr>
        </thead>
        <tbody>
          {items.map((item) => {
            const left = timeLeft(item.receivedAt, item.dueAt, now);
            const open = () => router.push(viewerHref(item.studyInstanceUid));
            return (
              <tr
                key={item.id}
                data-testid="worklist-row"
                data-priority={item.priority}
                data-study-uid={item.studyInstanceUid}
                className={item.priority === 'STAT' ? 'row-stat' : undefined}
                tabIndex={0}
                role="link"
                aria-label={`Open ${formatPersonName(item.patientName)} ${orDash(item.modality)}`}
                onClick={open}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') open();
                }}
              >
                <td>
                  <PriorityBadge priority={item.priority} />
                </td>
                <td
                  className={`clock${left.critical ? ' clock-critical' : ''}`}
                  data-testid="time-left"
                  title={`Due ${new Date(item.dueAt).toLocaleString()}`}
                >
                  {left.text}
                </td>
                <td className="strong">{formatPersonName(item.patientName)}</td>
                <td className="mono">{orDash(item.patientMrn)}</td>
                <td>{orDash(item.modality)}</td>
                <td>{orDash(item.description)}</td>
                <td>{orDash(item.hospitalName ?? item.hospitalId)}</td>
                <td>{orDash(item.subspecialty)}</td>
                <td>
                  <StateBadge state={item.state} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
