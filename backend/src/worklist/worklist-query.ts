import { z } from 'zod';
import { Paging } from '../common/schemas.js';
import type { ListQuery } from './worklist.service.js';

const PRIORITIES = ['STAT', 'URGENT', 'ROUTINE'] as const;
const SUBSPECIALTIES = ['NEURO', 'MSK', 'CHEST', 'BODY', 'BREAST', 'CARDIAC', 'PEDIATRIC', 'NUCLEAR', 'INTERVENTIONAL', 'GENERAL'] as const;
const STATES = ['UNREAD', 'CLAIMED', 'PRELIMINARY', 'FINAL'] as const;

/** `?priority=STAT,URGENT`: one value or a comma-separated list, case-insensitive. */
const oneOrMore = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .transform((s) => [...new Set(s.split(',').map((v) => v.trim().toUpperCase()))])
    .pipe(z.array(z.enum(values), { error: `must be one or more of ${values.join(', ')}` }).min(1));

/** GET /api/worklist's query (the controller and its fast path, WorklistReadFastPath, parse it alike). */
export const WorklistQuery = z.strictObject({
  ...Paging,
  hospitalId: z.uuid({ error: 'must be a UUID' }).optional(),
  modality: z
    .string()
    .transform((s) => s.trim().toUpperCase())
    .pipe(z.string().regex(/^[A-Z0-9]{1,16}$/, 'must be a DICOM modality such as CT or MR'))
    .optional(),
  priority: oneOrMore(PRIORITIES).optional(),
  subspecialty: oneOrMore(SUBSPECIALTIES).optional(),
  /** Default: the open states (UNREAD, CLAIMED, PRELIMINARY). */
  state: oneOrMore(STATES).optional(),
  /** Only cases the caller holds. */
  mine: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
  /** urgency: priority class then due time; received: waiting longest first; due: nearest deadline first. */
  sort: z.enum(['urgency', 'received', 'due']).default('urgency'),
});

export type WorklistQuery = z.infer<typeof WorklistQuery>;

/** WorklistService.list's arguments for a parsed query. */
export function listArguments(q: WorklistQuery): [ListQuery, number, number] {
  const { limit, offset, mine, ...filter } = q;
  return [{ ...filter, mine: mine === 'true' }, limit, offset];
}
