import { z } from 'zod';

const AeTitle = z
  .string()
  .regex(/^[\x21-\x5b\x5d-\x7e][\x20-\x5b\x5d-\x7e]{0,15}$/, 'must be 1-16 printable ASCII characters, no backslash')
  .transform((s) => s.trim());

export const CreateHospitalSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  jurisdiction: z.string().trim().min(2).max(32),
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
});
export type CreateHospitalDto = z.infer<typeof CreateHospitalSchema>;

export const CreateApiKeySchema = z.strictObject({ name: z.string().trim().min(1).max(100).default('default') });
export type CreateApiKeyDto = z.infer<typeof CreateApiKeySchema>;

export const CreateArchiveSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  dicomwebUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  authType: z.enum(['none', 'basic', 'bearer']).default('none'),
  authSecret: z.string().max(4096).optional(),
});
export type CreateArchiveDto = z.infer<typeof CreateArchiveSchema>;
