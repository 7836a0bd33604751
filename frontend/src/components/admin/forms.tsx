'use client';

import { useCallback, useState } from 'react';
import { errorMessage } from '@/lib/api';

export function splitList(value: string): string[] {
  return value
    .split(/[,;\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export interface SubmitState {
  busy: boolean;
  error: string | null;
  done: string | null;
  run: (action: () => Promise<string>) => Promise<void>;
}

/** Busy / error / success state of one form submission. */
export function useSubmit(): SubmitState {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const run = useCallback(async (action: () => Promise<string>) => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      setDone(await action());
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, done, run };
}

export function FormStatus({ state }: { state: SubmitState }) {
  if (state.error)
    return (
      <span className="form-error" role="alert" data-testid="form-error">
        {state.error}
      </span>
    );
  if (state.done)
    return (
      <span className="form-ok" role="status" data-testid="form-ok">
        {state.done}
      </span>
    );
  return null;
}
