import { z } from 'zod';

/** Paging shared by every list route: ?limit=&offset=. */
export const Paging = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
};

export const UuidParam = z.uuid({ error: 'must be a UUID' });

/** Route parameters that are ids: a malformed id is simply not found. */
export const IdParams = z.object({ id: z.string() });
export const isUuid = (value: string) => UuidParam.safeParse(value).success;
