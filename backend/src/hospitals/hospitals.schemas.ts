import { z } from 'zod';
import { SUBSPECIALTIES } from '../users/users.schemas.js';

const AeTitle = z
  .string()
  .regex(/^[\x21-\x5b\x5d-\x7e][\x20-\x5b\x5d-\x7e]{0,15}$/, 'must be 1-16 printable ASCII characters, no backslash')
  .transform((s) => s.trim());

/**
 * A hospital's editable fields, declared once: creation requires name and time zone (plus the
 * jurisdiction, fixed afterwards because privileges and licenses hang on it); an update takes any.
 */
const HospitalFields = z.strictObject({
  name: z.string().trim().min(1).max(200),
  timezone: z.string().refine((tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'must be an IANA time zone such as America/Chicago'),
  aeTitles: z.array(AeTitle).max(32).optional(),
  slaStatMinutes: z.number().int().min(1).max(24 * 60).optional(),
  slaUrgentMinutes: z.number().int().min(1).max(7 * 24 * 60).optional(),
  slaRoutineMinutes: z.number().int().min(1).max(30 * 24 * 60).optional(),
  defaultPriority: z.enum(['STAT', 'URGENT', 'ROUTINE']).optional(),
  requireNextCase: z.boolean().optional(),
  autoAssign: z.boolean().optional(),
  /** With autoAssign: only cases routed to these subspecialties (empty = all). */
  autoAssignSubspecialties: z
    .array(z.string().transform((s) => s.toUpperCase()).pipe(z.enum(SUBSPECIALTIES)))
    .max(SUBSPECIALTIES.length)
    .transform((list) => [...new Set(list)])
    .optional(),
});

export const CreateHospitalSchema = HospitalFields.extend({ jurisdiction: z.string().trim().min(2).max(32) });
export type CreateHospitalDto = z.infer<typeof CreateHospitalSchema>;

export const UpdateHospitalSchema = HospitalFields.partial().refine((dto) => Object.keys(dto).length > 0, 'must change at least one field');
export type UpdateHospitalDto = z.infer<typeof UpdateHospitalSchema>;

export const CreateApiKeySchema = z.strictObject({ name: z.string().trim().min(1).max(100).default('default') });
export type CreateApiKeyDto = z.infer<typeof CreateApiKeySchema>;

export const CreateArchiveSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  dicomwebUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  authType: z.enum(['none', 'basic', 'bearer']).default('none'),
  authSecret: z.string().max(4096).optional(),
});
export type CreateArchiveDto = z.infer<typeof CreateArchiveSchema>;
