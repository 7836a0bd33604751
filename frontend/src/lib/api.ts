/**
 * The one client for the Teleread API (browser side).
 *
 * Tokens: the access token lives in memory and in sessionStorage (per tab, survives
 * a reload); the refresh token in localStorage (shared by tabs). Every request
 * carries `Authorization: Bearer <access>`. On 401 the pair is refreshed once
 * (single-flight, and serialised across tabs with the Web Locks API because the
 * API rotates refresh tokens) and the request retried; if that fails the browser
 * goes to /login?next=<current path>.
 */
import type {
  ApiErrorBody,
  AuditEvent,
  AuditQuery,
  CreateHospital,
  CreateUser,
  Hospital,
  LoginResponse,
  Me,
  CreateOrder,
  Order,
  Page,
  Shift,
  Study,
  StudyDetail,
  TokenPair,
  NotificationView,
  UpdateHospital,
  User,
  WorklistItemView,
  WorklistPage,
} from './types';

const ACCESS_KEY = 'teleread.accessToken';
const REFRESH_KEY = 'teleread.refreshToken';

export const UNREACHABLE_MESSAGE = 'Cannot reach the Teleread server';

// ---------------------------------------------------------------- errors

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body?: ApiErrorBody,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The server could not be reached (network error or the web server's 502/504). */
  get unreachable(): boolean {
    return this.status === 0 || this.status === 502 || this.status === 504;
  }
}

function messageOf(body: ApiErrorBody | undefined): string | undefined {
  const m = body?.message;
  if (Array.isArray(m)) return m.filter(Boolean).join('; ') || undefined;
  return typeof m === 'string' && m ? m : undefined;
}

/** ApiError for an answer with this status and body text. */
export function apiErrorFrom(status: number, text: string, statusText = ''): ApiError {
  let body: ApiErrorBody | undefined;
  try {
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    body = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as ApiErrorBody) : undefined;
  } catch {
    body = undefined;
  }
  const fallback = status === 0 || status === 502 || status === 504 ? UNREACHABLE_MESSAGE : statusText || `HTTP ${status}`;
  const plain = !body && text && text.length < 200 && !text.trimStart().startsWith('<') ? text : undefined;
  return new ApiError(status, messageOf(body) ?? body?.error ?? plain ?? fallback, body);
}

async function toApiError(res: Response): Promise<ApiError> {
  let text = '';
  try {
    text = await res.text();
  } catch {
    text = '';
  }
  return apiErrorFrom(res.status, text, res.statusText);
}

/** Human-readable message for anything thrown by this module (or elsewhere). */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

// ---------------------------------------------------------------- tokens

type AuthListener = () => void;
const listeners = new Set<AuthListener>();
let accessToken: string | null = null;
let accessLoaded = false;

const isBrowser = () => typeof window !== 'undefined';

function storage(kind: 'session' | 'local'): Storage | null {
  if (!isBrowser()) return null;
  try {
    return kind === 'session' ? window.sessionStorage : window.localStorage;
  } catch {
    return null; // storage disabled
  }
}

function notify() {
  for (const l of listeners) l();
}

export const tokens = {
  access(): string | null {
    if (!accessLoaded && isBrowser()) {
      accessToken = storage('session')?.getItem(ACCESS_KEY) ?? null;
      accessLoaded = true;
    }
    return accessToken;
  },
  refresh(): string | null {
    return storage('local')?.getItem(REFRESH_KEY) ?? null;
  },
  has(): boolean {
    return Boolean(tokens.access() || tokens.refresh());
  },
  set(pair: TokenPair) {
    accessToken = pair.accessToken;
    accessLoaded = true;
    storage('session')?.setItem(ACCESS_KEY, pair.accessToken);
    storage('local')?.setItem(REFRESH_KEY, pair.refreshToken);
    notify();
  },
  clear() {
    accessToken = null;
    accessLoaded = true;
    storage('session')?.removeItem(ACCESS_KEY);
    storage('local')?.removeItem(REFRESH_KEY);
    notify();
  },
};

/** Called when tokens are set or cleared (here or, for sign-out, in another tab). */
export function onAuthChange(listener: AuthListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

if (isBrowser()) {
  window.addEventListener('storage', (e) => {
    if (e.key === REFRESH_KEY && e.newValue === null) {
      // Signed out in another tab.
      accessToken = null;
      storage('session')?.removeItem(ACCESS_KEY);
      notify();
    }
  });
}

// ---------------------------------------------------------------- transport

async function send(path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(path, { cache: 'no-store', ...init });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, UNREACHABLE_MESSAGE);
  }
}

let refreshing: Promise<boolean> | null = null;

async function refreshOnce(): Promise<boolean> {
  const refreshToken = tokens.refresh();
  if (!refreshToken) return false;
  const res = await send('/api/auth/refresh', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refreshToken }),
  });
  if (res.ok) {
    tokens.set((await res.json()) as TokenPair);
    return true;
  }
  if (res.status >= 500) throw await toApiError(res); // keep the session; server trouble
  tokens.clear();
  return false;
}

/** Refresh the token pair; concurrent callers share one attempt. */
export function refreshTokens(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      const locks = isBrowser() ? navigator.locks : undefined;
      // Another tab may rotate the pair while we wait: refreshOnce reads the newest one.
      return locks ? await locks.request('teleread-token-refresh', refreshOnce) : await refreshOnce();
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

export function loginUrl(nextPath?: string): string {
  const next = nextPath ?? (isBrowser() ? window.location.pathname + window.location.search : '/');
  return next && next !== '/' && !next.startsWith('/login') ? `/login?next=${encodeURIComponent(next)}` : '/login';
}

function goToLogin() {
  if (isBrowser() && window.location.pathname !== '/login') window.location.assign(loginUrl());
}

export interface RequestOptions extends Omit<RequestInit, 'body'> {
  body?: BodyInit | null;
  /** Sent as JSON with content-type application/json. */
  json?: unknown;
  /** On a 401 that refreshing cannot fix, navigate to /login (default true). */
  redirectOnAuthFailure?: boolean;
}

/** Authorised request; returns the Response whatever its status (except a final 401). */
export async function apiRequest(path: string, options: RequestOptions = {}): Promise<Response> {
  const { json, redirectOnAuthFailure = true, headers, body, ...rest } = options;
  const attempt = () => {
    const h = new Headers(headers);
    const token = tokens.access();
    if (token) h.set('authorization', `Bearer ${token}`);
    if (json !== undefined) h.set('content-type', 'application/json');
    if (!h.has('accept')) h.set('accept', 'application/json');
    return send(path, { ...rest, headers: h, body: json !== undefined ? JSON.stringify(json) : body });
  };

  let res = await attempt();
  if (res.status !== 401) return res;

  const refreshed = await refreshTokens();
  if (refreshed) {
    res = await attempt();
    if (res.status !== 401) return res;
  }
  const error = await toApiError(res);
  if (redirectOnAuthFailure) goToLogin();
  throw new ApiError(401, refreshed ? error.message : 'Your session has expired. Please sign in again.', error.body);
}

/** Authorised request expecting JSON; throws ApiError on a non-2xx answer. */
export async function apiJson<T>(path: string, options?: RequestOptions): Promise<T> {
  const res = await apiRequest(path, options);
  if (!res.ok) throw await toApiError(res);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export interface UploadOptions {
  /** Sent as the Content-Type header (e.g. multipart/related with its boundary). */
  contentType: string;
  accept?: string;
  /** Bytes of the body sent so far (starts again from 0 if the request is retried). */
  onProgress?: (loaded: number, total: number) => void;
  signal?: AbortSignal;
}

export interface UploadResponse {
  status: number;
  statusText: string;
  text: string;
}

function xhrPost(path: string, body: Blob, options: UploadOptions): Promise<UploadResponse> {
  return new Promise((resolve, reject) => {
    const { signal, onProgress } = options;
    if (signal?.aborted) {
      reject(new DOMException('The upload was cancelled', 'AbortError'));
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    const token = tokens.access();
    if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.setRequestHeader('content-type', options.contentType);
    xhr.setRequestHeader('accept', options.accept ?? 'application/json');
    const onAbort = () => xhr.abort();
    const done = () => signal?.removeEventListener('abort', onAbort);
    if (onProgress) {
      xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : body.size);
    }
    xhr.onload = () => {
      done();
      resolve({ status: xhr.status, statusText: xhr.statusText, text: xhr.responseText });
    };
    xhr.onerror = () => {
      done();
      reject(new ApiError(0, UNREACHABLE_MESSAGE));
    };
    xhr.ontimeout = xhr.onerror;
    xhr.onabort = () => {
      done();
      reject(new DOMException('The upload was cancelled', 'AbortError'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    xhr.send(body);
  });
}

/**
 * Authorised POST of a Blob with upload progress. fetch() cannot report upload
 * progress, so this uses XMLHttpRequest with the same Bearer token and the same
 * refresh-once-then-retry as apiRequest(). Returns the answer whatever its status
 * (the caller reads it); network failures throw ApiError(0). A 401 that refreshing
 * cannot fix is returned as such (if the refresh token was refused the session
 * is cleared, and the app shell sends the user to /login).
 */
export async function apiUpload(path: string, body: Blob, options: UploadOptions): Promise<UploadResponse> {
  let res = await xhrPost(path, body, options);
  if (res.status !== 401) return res;
  if (await refreshTokens()) {
    options.onProgress?.(0, body.size);
    res = await xhrPost(path, body, options);
  }
  return res;
}

/** Query of GET /api/worklist (absent = no filter). */
export interface WorklistParams {
  limit?: number;
  offset?: number;
  hospitalId?: string;
  modality?: string;
  priority?: string;
  subspecialty?: string;
  state?: string;
  mine?: 'true';
  sort?: 'urgency' | 'received' | 'due';
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

// ---------------------------------------------------------------- endpoints

export const api = {
  /** POST /api/auth/login; stores the token pair. Does not use the refresh logic. */
  async login(email: string, password: string): Promise<LoginResponse> {
    const res = await send('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    if (!res.ok) throw await toApiError(res);
    const data = (await res.json()) as LoginResponse;
    tokens.set(data);
    return data;
  },

  /** POST /api/auth/logout; the local tokens are dropped whatever the server says. */
  async logout(): Promise<void> {
    const refreshToken = tokens.refresh();
    try {
      if (refreshToken) {
        await apiRequest('/api/auth/logout', {
          method: 'POST',
          json: { refreshToken },
          redirectOnAuthFailure: false,
        });
      }
    } catch {
      // signing out locally is what matters
    } finally {
      tokens.clear();
    }
  },

  me: (options?: RequestOptions) => apiJson<Me>('/api/auth/me', options),

  /** GET /api/worklist with filters (hospitalId, modality, priority, subspecialty, state, mine, sort). */
  worklist: (params: WorklistParams = {}, options?: RequestOptions) =>
    apiJson<WorklistPage>(`/api/worklist${query({ limit: 50, offset: 0, ...params })}`, options),

  /** 200 the item for exactly one caller; 409 (another reader) / 403 (not eligible) with the server's message. */
  claimCase: (id: string) => apiJson<WorklistItemView>(`/api/worklist/${encodeURIComponent(id)}/claim`, { method: 'POST' }),

  releaseCase: (id: string) => apiJson<WorklistItemView>(`/api/worklist/${encodeURIComponent(id)}/release`, { method: 'POST' }),

  /** Decline a case the platform assigned to the caller (claimSource AUTO). */
  declineCase: (id: string) => apiJson<WorklistItemView>(`/api/worklist/${encodeURIComponent(id)}/decline`, { method: 'POST' }),

  /** Admin: give the case to this radiologist; 422 says why they may not read it. */
  reassignCase: (id: string, userId: string) =>
    apiJson<WorklistItemView>(`/api/worklist/${encodeURIComponent(id)}/reassign`, { method: 'POST', json: { userId } }),

  /** Claim the most urgent case waiting for the caller; null when nothing is waiting (204). */
  nextCase: async (): Promise<WorklistItemView | null> =>
    (await apiJson<WorklistItemView | undefined>('/api/worklist/next', { method: 'POST' })) ?? null,

  notifications: (unread = true, options?: RequestOptions) =>
    apiJson<{ items: NotificationView[] }>(`/api/notifications${query({ unread: unread ? 'true' : undefined })}`, options),

  markNotificationRead: (id: string) =>
    apiJson<unknown>(`/api/notifications/${encodeURIComponent(id)}/read`, { method: 'POST' }),

  studies: (limit = 50, offset = 0, options?: RequestOptions) =>
    apiJson<Page<Study>>(`/api/studies${query({ limit, offset })}`, options),

  study: (studyInstanceUid: string, options?: RequestOptions) =>
    apiJson<StudyDetail>(`/api/studies/${encodeURIComponent(studyInstanceUid)}`, options),

  hospitals: (options?: RequestOptions) => apiJson<Hospital[]>('/api/hospitals', options),

  /** POST /api/orders (hospital staff). 409: this hospital already has an order for the accession number. */
  createOrder: (body: CreateOrder) => apiJson<Order>('/api/orders', { method: 'POST', json: body }),

  createHospital: (body: CreateHospital) => apiJson<Hospital>('/api/hospitals', { method: 'POST', json: body }),

  /** PATCH /api/hospitals/:id (admin): new SLA targets apply to cases that arrive afterwards. */
  updateHospital: (id: string, body: UpdateHospital) =>
    apiJson<Hospital>(`/api/hospitals/${encodeURIComponent(id)}`, { method: 'PATCH', json: body }),

  users: (options?: RequestOptions) => apiJson<User[]>('/api/users', options),

  shifts: (userId: string, options?: RequestOptions) =>
    apiJson<{ items: (Shift & { id: string })[] }>(`/api/users/${encodeURIComponent(userId)}/shifts`, options),

  /** PUT the radiologist's whole schedule (replaces every shift). */
  replaceShifts: (userId: string, shifts: Shift[]) =>
    apiJson<{ items: (Shift & { id: string })[] }>(`/api/users/${encodeURIComponent(userId)}/shifts`, { method: 'PUT', json: shifts }),

  createUser: (body: CreateUser) => apiJson<User>('/api/users', { method: 'POST', json: body }),

  audit: (filters: AuditQuery, limit = 50, offset = 0, options?: RequestOptions) =>
    apiJson<Page<AuditEvent>>(`/api/audit${query({ limit, offset, ...filters })}`, options),

  /** GET /api/audit/fhir (same filters as the search) as a Blob: a FHIR R4 Bundle of AuditEvent. */
  async auditFhir(filters: AuditQuery = {}): Promise<Blob> {
    const res = await apiRequest(`/api/audit/fhir${query({ ...filters })}`, { headers: { accept: 'application/fhir+json, application/json' } });
    if (!res.ok) throw await toApiError(res);
    return res.blob();
  },
};
