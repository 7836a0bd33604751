/**
 * The worklist's filters as they appear in the page URL (deep-linkable, survive reload) and
 * as they are sent to GET /api/worklist. The URL uses the API's own parameter names.
 */
import type { WorklistParams } from './api';
import { SUBSPECIALTIES, type Priority, type WorklistChange, type WorklistItemView, type WorklistState, type Subspecialty } from './types';

export const PAGE_SIZE = 100;

export const PRIORITIES: readonly Priority[] = ['STAT', 'URGENT', 'ROUTINE'];

/** Subspecialty choices for the filter bar and labels in the table. */
export const WORKLIST_SUBSPECIALTIES = SUBSPECIALTIES.map((s) => ({ value: s.value, label: s.short }));

export const STATES: readonly { value: WorklistState; label: string }[] = [
  { value: 'UNREAD', label: 'Unread' },
  { value: 'CLAIMED', label: 'Being read' },
  { value: 'PRELIMINARY', label: 'Preliminary' },
];

/** Modalities offered even before a case of that kind is on screen. */
export const COMMON_MODALITIES = ['CT', 'MR', 'CR', 'DX', 'US', 'MG', 'NM', 'PT', 'XA', 'RF'];

export type WorklistSort = 'urgency' | 'due' | 'received';
export const SORTS: readonly { value: WorklistSort; label: string }[] = [
  { value: 'urgency', label: 'Most urgent first' },
  { value: 'due', label: 'Due soonest' },
  { value: 'received', label: 'Oldest received' },
];

export interface WorklistFilters {
  hospitalId?: string;
  modality?: string;
  priority?: Priority;
  subspecialty?: Subspecialty;
  state?: WorklistState;
  mine: boolean;
  sort: WorklistSort;
  /** 1-based. */
  page: number;
}

export const NO_FILTERS: WorklistFilters = { mine: false, sort: 'urgency', page: 1 };

function oneOf<T extends string>(value: string | null, allowed: readonly T[]): T | undefined {
  return value && (allowed as readonly string[]).includes(value) ? (value as T) : undefined;
}

/** URL query → filters; unknown or malformed values are ignored (a stale link still opens). */
export function filtersFromSearch(sp: { get(name: string): string | null }): WorklistFilters {
  const modality = sp.get('modality')?.trim().toUpperCase();
  const hospitalId = sp.get('hospitalId')?.trim();
  const page = Number.parseInt(sp.get('page') ?? '1', 10);
  return {
    hospitalId: hospitalId && /^[0-9a-f-]{36}$/i.test(hospitalId) ? hospitalId : undefined,
    modality: modality && /^[A-Z]{2}$/.test(modality) ? modality : undefined,
    priority: oneOf(sp.get('priority')?.toUpperCase() ?? null, PRIORITIES),
    subspecialty: oneOf(sp.get('subspecialty')?.toUpperCase() ?? null, WORKLIST_SUBSPECIALTIES.map((s) => s.value)),
    state: oneOf(sp.get('state')?.toUpperCase() ?? null, STATES.map((s) => s.value)),
    mine: sp.get('mine') === 'true',
    sort: oneOf(sp.get('sort'), SORTS.map((s) => s.value)) ?? 'urgency',
    page: Number.isFinite(page) && page > 1 ? page : 1,
  };
}

/** Filters → "?priority=STAT&mine=true" (defaults left out), or "" when there is nothing to say. */
export function filtersToSearch(f: WorklistFilters): string {
  const q = new URLSearchParams();
  if (f.hospitalId) q.set('hospitalId', f.hospitalId);
  if (f.modality) q.set('modality', f.modality);
  if (f.priority) q.set('priority', f.priority);
  if (f.subspecialty) q.set('subspecialty', f.subspecialty);
  if (f.state) q.set('state', f.state);
  if (f.mine) q.set('mine', 'true');
  if (f.sort !== 'urgency') q.set('sort', f.sort);
  if (f.page > 1) q.set('page', String(f.page));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function apiParams(f: WorklistFilters): WorklistParams {
  return {
    limit: PAGE_SIZE,
    offset: (f.page - 1) * PAGE_SIZE,
    hospitalId: f.hospitalId,
    modality: f.modality,
    priority: f.priority,
    subspecialty: f.subspecialty,
    state: f.state,
    mine: f.mine ? 'true' : undefined,
    sort: f.sort,
  };
}

export function hasFilters(f: WorklistFilters): boolean {
  return Boolean(f.hospitalId || f.modality || f.priority || f.subspecialty || f.state || f.mine);
}

/** Could a case we do not hold belong on this page? (false: no need to reload for it) */
export function mayBelong(c: WorklistChange, f: WorklistFilters, me: string): boolean {
  if (c.state === 'FINAL') return false;
  if (f.hospitalId && c.hospitalId !== f.hospitalId) return false;
  if (f.priority && c.priority !== f.priority) return false;
  if (f.subspecialty && c.subspecialty !== f.subspecialty) return false;
  if (f.state && c.state !== f.state) return false;
  if (f.mine && c.claimedBy !== me) return false;
  return true;
}

/** Does this change move the row within the page or in/out of it? (then the page is reloaded) */
export function movesRow(row: WorklistItemView, c: WorklistChange, f: WorklistFilters): boolean {
  if (row.priority !== c.priority || row.dueAt !== c.dueAt) return true; // sort keys
  if (row.hospitalId !== c.hospitalId || row.subspecialty !== c.subspecialty) return true; // routing
  if (f.state && row.state !== c.state) return true;
  if (f.mine && row.claimedBy !== c.claimedBy) return true;
  return false;
}

/** The row with a newer change applied (the change carries no patient data). */
export function applyChange(row: WorklistItemView, c: WorklistChange): WorklistItemView {
  return {
    ...row,
    version: c.version,
    hospitalId: c.hospitalId,
    subspecialty: c.subspecialty,
    priority: c.priority,
    state: c.state,
    dueAt: c.dueAt,
    claimedBy: c.claimedBy,
    claimedByName: c.claimedByName,
    claimSource: c.claimSource,
    leaseExpiresAt: c.leaseExpiresAt,
    breachedAt: c.breachedAt,
  };
}
