import { z } from 'zod';

/** Paging shared by every list route: ?limit=&offset=. */
export const Paging = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
};

export const UuidParam = z.uuid({ error: 'must be a UUID' });

export const isUuid = (value: string) => UuidParam.safeParse(value).success;

/** Matches no row: what a malformed id becomes, so it is answered like any unknown id (404). */
const NO_SUCH_ID = '00000000-0000-0000-0000-000000000000';
const EntityId = z.string().transform((id) => (isUuid(id) ? id : NO_SUCH_ID));

/** Route parameters that are ids: a malformed id is simply not found. */
export const IdParams = z.object({ id: EntityId });

/** ISO 8601 date or date-time (with offset) → Date; documented as a string in OpenAPI. */
export const IsoDate = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], { error: 'must be an ISO 8601 date or date-time' })
  .transform((s) => new Date(s));

/**
 * The characters a DICOM UID may hold, at most 64 of them. Used wherever a UID arrives
 * from outside (URLs, request bodies, archives) before it reaches a query or a file path.
 */
export const DICOM_UID_CHARS = /^[0-9.]{1,64}$/;
export const isDicomUidText = (value: string) => DICOM_UID_CHARS.test(value);
export const DicomUid = z.string().regex(DICOM_UID_CHARS, 'must be a DICOM UID');
