import { ApiError } from '@/lib/api';

export const FORBIDDEN_MESSAGE = 'You do not have access to this page';

interface Props {
  error: unknown;
  /** Text for a 404 answer (default: the server's message). */
  notFound?: string;
  onRetry?: () => void;
}

/** One place that turns API failures into what a reader should see. */
export function ApiErrorView({ error, notFound, onRetry }: Props) {
  if (!error) return null;
  let title: string;
  let detail: string | null = null;
  if (error instanceof ApiError) {
    if (error.status === 403) title = FORBIDDEN_MESSAGE;
    else if (error.status === 404 && notFound) title = notFound;
    else if (error.unreachable) {
      title = 'Cannot reach the Teleread server';
      detail = 'Check your connection; the page retries on its own or use Retry.';
    } else title = error.message;
  } else {
    title = error instanceof Error ? error.message : String(error);
  }
  return (
    <div className="alert alert-error" role="alert" data-testid="api-error">
      <strong>{title}</strong>
      {detail && <span className="alert-detail">{detail}</span>}
      {onRetry && (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function Forbidden() {
  return (
    <div className="alert alert-error" role="alert" data-testid="api-error">
      <strong>{FORBIDDEN_MESSAGE}</strong>
    </div>
  );
}
