'use client';

import { useEffect, useState, type FormEvent } from 'react';
import { useRouter } from 'next/navigation';
import { ApiError, errorMessage, UNREACHABLE_MESSAGE } from '@/lib/api';
import { useAuth } from '@/lib/auth';
import { ROLE_HOME, safeNextPath } from '@/lib/roles';

function loginErrorMessage(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 401) return 'Wrong email or password';
    if (err.unreachable) return UNREACHABLE_MESSAGE;
    return err.message; // 423 locked, 429 throttled, 400 validation: the server's words
  }
  return errorMessage(err);
}

type ServerState = 'unknown' | 'ok' | 'unreachable' | 'degraded';

/** Warns before the user types a password if the API is down. */
function useServerState(): ServerState {
  const [state, setState] = useState<ServerState>('unknown');
  useEffect(() => {
    let cancelled = false;
    fetch('/health', { cache: 'no-store' })
      .then((res) => {
        if (cancelled) return;
        setState(res.ok ? 'ok' : res.status === 502 || res.status === 504 ? 'unreachable' : 'degraded');
      })
      .catch(() => !cancelled && setState('unreachable'));
    return () => {
      cancelled = true;
    };
  }, []);
  return state;
}

export default function LoginPage() {
  const { signIn } = useAuth();
  const router = useRouter();
  const server = useServerState();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const me = await signIn(email.trim(), password);
      const next = safeNextPath(new URLSearchParams(window.location.search).get('next'));
      router.replace(next ?? ROLE_HOME[me.role]);
    } catch (err) {
      setError(loginErrorMessage(err));
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <form className="login-card" onSubmit={onSubmit} noValidate={false}>
        <div className="login-brand">
          <span className="brand">Teleread</span>
          <span className="muted">Teleradiology reading</span>
        </div>
        {server === 'unreachable' && (
          <div className="alert alert-error" role="alert" data-testid="server-unreachable">
            <strong>{UNREACHABLE_MESSAGE}</strong>
            <span className="alert-detail">Signing in will fail until it answers again.</span>
          </div>
        )}
        {server === 'degraded' && (
          <div className="alert alert-warn" role="status">
            <strong>The Teleread server is starting or degraded</strong>
          </div>
        )}
        <label htmlFor="email">Email</label>
        <input
          id="email"
          name="email"
          type="email"
          autoComplete="username"
          required
          autoFocus
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {error && (
          <p className="form-error" role="alert" data-testid="login-error">
            {error}
          </p>
        )}
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
