'use client';

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ApiError, errorMessage, onAuthChange, tokens } from './api';
import type { Me } from './types';

export type AuthStatus = 'loading' | 'signed-in' | 'signed-out' | 'unreachable';

export interface AuthContextValue {
  status: AuthStatus;
  user: Me | null;
  /** Why the session could not be checked (status 'unreachable'). */
  error: string | null;
  /** True after the user pressed Sign out (no `next` to come back to). */
  signedOutByUser: boolean;
  signIn(email: string, password: string): Promise<Me>;
  signOut(): Promise<void>;
  /** Re-check the session (GET /api/auth/me). */
  reload(): void;
}

const AuthContext = createContext<AuthContextValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<AuthStatus>('loading');
  const [user, setUser] = useState<Me | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const [signedOutByUser, setSignedOutByUser] = useState(false);

  // Check the stored session on load and on reload().
  useEffect(() => {
    let cancelled = false;
    if (!tokens.has()) {
      setUser(null);
      setStatus('signed-out');
      return;
    }
    api
      .me({ redirectOnAuthFailure: false })
      .then((me) => {
        if (cancelled) return;
        setUser(me);
        setError(null);
        setStatus('signed-in');
      })
      .catch((err: unknown) => {
        if (cancelled) return;
        if (err instanceof ApiError && err.status === 401) {
          setUser(null);
          setStatus('signed-out');
        } else {
          setError(errorMessage(err));
          setStatus('unreachable');
        }
      });
    return () => {
      cancelled = true;
    };
  }, [generation]);

  // Tokens dropped elsewhere (failed refresh, sign-out in another tab).
  useEffect(
    () =>
      onAuthChange(() => {
        if (!tokens.has()) {
          setUser(null);
          setStatus('signed-out');
        }
      }),
    [],
  );

  const signIn = useCallback(async (email: string, password: string) => {
    const login = await api.login(email, password);
    let me: Me;
    try {
      me = await api.me({ redirectOnAuthFailure: false });
    } catch {
      me = { ...login.user, displayName: null, hospitalId: null, hospitalName: null };
    }
    setUser(me);
    setError(null);
    setSignedOutByUser(false);
    setStatus('signed-in');
    return me;
  }, []);

  const signOut = useCallback(async () => {
    setSignedOutByUser(true);
    await api.logout();
    setUser(null);
    setStatus('signed-out');
  }, []);

  const reload = useCallback(() => {
    setStatus('loading');
    setGeneration((g) => g + 1);
  }, []);

  const value = useMemo<AuthContextValue>(
    () => ({ status, user, error, signedOutByUser, signIn, signOut, reload }),
    [status, user, error, signedOutByUser, signIn, signOut, reload],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthContextValue {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth must be used inside <AuthProvider>');
  return ctx;
}
