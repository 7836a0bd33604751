'use client';

/**
 * The one live connection to the worklist namespace, shared by everything on the page that
 * listens (the worklist table, the notification bell). Opened while at least one component
 * uses it, closed a moment after the last one leaves (so navigating between pages keeps it).
 *
 * - Address: GET /realtime-config → {url}; null means this origin (src/proxy.ts forwards
 *   /socket.io/* to the API, WebSocket upgrades included).
 * - Token: read on every (re)connection attempt; when the access token is refreshed the
 *   socket reconnects with the new one (the server checks it at the handshake).
 * - Refused because the token expired (or the server dropped us): refresh, retry with backoff.
 * - Every (re)connect is announced to listeners, who resync: events are lost while offline.
 */
import { useEffect, useRef, useSyncExternalStore } from 'react';
import { io, type Socket } from 'socket.io-client';
import { onAuthChange, refreshTokens, tokens } from './api';
import type { NotificationView, WorklistChange, WorklistClientToServer, WorklistServerToClient } from './types';

type WorklistSocket = Socket<WorklistServerToClient, WorklistClientToServer>;

export type LiveState = 'connecting' | 'live' | 'offline';

export interface LiveStatus {
  state: LiveState;
  /** Why we are not live (shown as a tooltip). */
  detail: string | null;
}

export interface LiveHandlers {
  changed?: (change: WorklistChange) => void;
  removed?: (e: { id: string; version: number }) => void;
  notification?: (n: NotificationView) => void;
  /** Connected or reconnected: anything may have changed meanwhile, so reload. */
  connected?: () => void;
}

const NAMESPACE = '/worklist';
const MAX_BACKOFF_MS = 30_000;
/** The server's refusals that a fresh access token cures. */
const AUTH_REFUSAL = /expired|jwt|token|unauthori[sz]ed|authenticat|sign in/i;

const handlers = new Set<{ current: LiveHandlers }>();
const statusListeners = new Set<() => void>();
const INITIAL: LiveStatus = { state: 'connecting', detail: null };
let status: LiveStatus = INITIAL;

let socket: WorklistSocket | null = null;
let users = 0;
let generation = 0;
let started = false;
let lastToken: string | null = null;
let attempts = 0;
let stopTimer: ReturnType<typeof setTimeout> | undefined;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let unsubscribeAuth: (() => void) | null = null;
let baseUrl: Promise<string | null> | null = null;

function setStatus(state: LiveState, detail: string | null = null) {
  if (status.state === state && status.detail === detail) return;
  status = { state, detail };
  for (const l of statusListeners) l();
}

function each(fn: (h: LiveHandlers) => void) {
  for (const h of handlers) {
    try {
      fn(h.current);
    } catch (err) {
      console.error('worklist live handler failed', err);
    }
  }
}

function realtimeBase(): Promise<string | null> {
  baseUrl ??= fetch('/realtime-config', { cache: 'no-store' })
    .then((res) => (res.ok ? (res.json() as Promise<{ url?: unknown }>) : { url: null }))
    .then((body) => (typeof body.url === 'string' && body.url ? body.url.replace(/\/+$/, '') : null))
    .catch(() => {
      baseUrl = null; // ask again next time
      return null;
    });
  return baseUrl;
}

function scheduleRetry(refreshFirst: boolean) {
  clearTimeout(retryTimer);
  const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempts) * (0.75 + Math.random() * 0.5);
  attempts++;
  const gen = generation;
  retryTimer = setTimeout(async () => {
    if (gen !== generation || !socket) return;
    if (refreshFirst) {
      try {
        await refreshTokens();
      } catch {
        /* server trouble: try the current token again after the next backoff */
      }
      if (gen !== generation || !socket) return;
      if (!tokens.has()) {
        setStatus('offline', 'Signed out');
        return;
      }
    }
    // A token refresh may already have reconnected it (onTokensChanged).
    if (!socket.active) socket.connect();
  }, delay);
}

async function open() {
  const gen = generation;
  const base = await realtimeBase();
  if (!tokens.access()) {
    try {
      await refreshTokens();
    } catch {
      /* handled below: no token, no socket */
    }
  }
  if (gen !== generation) return;
  if (!tokens.access()) {
    setStatus('offline', 'Signed out');
    return;
  }
  lastToken = tokens.access();
  const s: WorklistSocket = io(`${base ?? ''}${NAMESPACE}`, {
    // A function: read again on every reconnection attempt, so a refreshed token is used.
    auth: (cb) => {
      lastToken = tokens.access();
      cb({ token: lastToken ?? '' });
    },
    transports: ['websocket'],
    reconnectionDelay: 1000,
    reconnectionDelayMax: 10_000,
  });
  socket = s;
  s.on('connect', () => {
    attempts = 0;
    clearTimeout(retryTimer);
    setStatus('live');
    each((h) => h.connected?.());
  });
  s.on('disconnect', (reason) => {
    setStatus('connecting', 'Reconnecting…');
    // The server hung up on us (e.g. the token expired): it will not retry by itself.
    if (reason === 'io server disconnect') scheduleRetry(true);
  });
  s.on('connect_error', (err) => {
    if (s.active) {
      // Network trouble: socket.io retries on its own.
      setStatus('offline', `Cannot reach live updates (${err.message})`);
      return;
    }
    // Refused by the server at the handshake: data.code says whether a new token may help.
    const code = (err as Error & { data?: { code?: string } }).data?.code;
    const auth = code ? code === 'UNAUTHORIZED' : AUTH_REFUSAL.test(err.message);
    setStatus('offline', auth ? 'Renewing your session…' : `Live updates refused: ${err.message}`);
    scheduleRetry(auth);
  });
  s.on('worklist:changed', (c) => each((h) => h.changed?.(c)));
  s.on('worklist:removed', (e) => each((h) => h.removed?.(e)));
  s.on('notification', (n) => each((h) => h.notification?.(n)));
}

function onTokensChanged() {
  if (!started) return;
  const token = tokens.access();
  if (!token) {
    // Signed out (here or in another tab): hang up; the app shell goes to /login.
    clearTimeout(retryTimer);
    socket?.disconnect();
    setStatus('offline', 'Signed out');
    return;
  }
  if (!socket) {
    void open();
    return;
  }
  if (token !== lastToken) {
    // New access token: reconnect so the server sees it (the auth callback reads it).
    attempts = 0;
    clearTimeout(retryTimer);
    socket.disconnect().connect();
  }
}

function start() {
  if (started) return;
  started = true;
  generation++;
  setStatus('connecting');
  unsubscribeAuth = onAuthChange(onTokensChanged);
  void open();
}

function stop() {
  if (!started) return;
  started = false;
  generation++;
  clearTimeout(retryTimer);
  unsubscribeAuth?.();
  unsubscribeAuth = null;
  socket?.removeAllListeners();
  socket?.disconnect();
  socket = null;
  lastToken = null;
  attempts = 0;
  setStatus('connecting');
}

function acquire() {
  users++;
  clearTimeout(stopTimer);
  start();
}

function release() {
  users = Math.max(0, users - 1);
  if (users === 0) {
    clearTimeout(stopTimer);
    stopTimer = setTimeout(stop, 2000);
  }
}

function subscribeStatus(listener: () => void) {
  statusListeners.add(listener);
  return () => statusListeners.delete(listener);
}

/**
 * Listen to the live worklist while mounted (and `enabled`). Handlers may change between
 * renders; the latest ones are called. Returns the connection status.
 */
export function useWorklistLive(h: LiveHandlers, enabled = true): LiveStatus {
  const ref = useRef(h);
  useEffect(() => {
    ref.current = h;
  });
  useEffect(() => {
    if (!enabled) return;
    handlers.add(ref);
    acquire();
    return () => {
      handlers.delete(ref);
      release();
    };
  }, [enabled]);
  return useSyncExternalStore(
    subscribeStatus,
    () => status,
    () => INITIAL,
  );
}
