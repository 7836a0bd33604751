import type { Priority } from '@/lib/types';

export function PriorityBadge({ priority }: { priority: Priority | null | undefined }) {
  if (!priority) return <span className="muted">—</span>;
  return (
    <span className={`badge badge-${priority.toLowerCase()}`} data-priority={priority}>
      {priority}
    </span>
  );
}

export function StateBadge({ state }: { state: string | null | undefined }) {
  if (!state) return <span className="muted">—</span>;
  return <span className={`state state-${state.toLowerCase()}`}>{state}</span>;
}
