import { z } from 'zod';
import { IsoDate } from '../common/schemas.js';

export const SUBSPECIALTIES = ['NEURO', 'MSK', 'CHEST', 'BODY', 'BREAST', 'CARDIAC', 'PEDIATRIC', 'NUCLEAR', 'INTERVENTIONAL', 'GENERAL'] as const;

export const CreateUserSchema = z
  .strictObject({
    email: z.email().max(254).transform((e) => e.toLowerCase()),
    password: z.string().min(12, 'must be at least 12 characters').max(1024),
    displayName: z.string().trim().min(1).max(200).optional(),
    role: z.enum(['ADMIN', 'RADIOLOGIST', 'HOSPITAL_STAFF', 'SPECIALIST']),
    hospitalId: z.uuid().optional(),
    subspecialties: z
      .array(z.string().transform((s) => s.toUpperCase()).pipe(z.enum(SUBSPECIALTIES)))
      .max(SUBSPECIALTIES.length)
      .optional(),
    licenses: z
      .array(z.strictObject({ jurisdiction: z.string().trim().min(2).max(32), expiresAt: IsoDate }))
      .max(100)
      .optional(),
    privileges: z.array(z.strictObject({ hospitalId: z.uuid(), expiresAt: IsoDate })).max(500).optional(),
  })
  .superRefine((u, ctx) => {
    if (u.role === 'HOSPITAL_STAFF' && !u.hospitalId) {
      ctx.addIssue({ code: 'custom', path: ['hospitalId'], message: 'is required for HOSPITAL_STAFF' });
    }
    if (u.role !== 'HOSPITAL_STAFF' && u.hospitalId) {
      ctx.addIssue({ code: 'custom', path: ['hospitalId'], message: 'is only for HOSPITAL_STAFF' });
    }
    if (u.role !== 'RADIOLOGIST' && (u.licenses?.length || u.privileges?.length)) {
      ctx.addIssue({ code: 'custom', path: ['licenses'], message: 'licenses and privileges are for RADIOLOGIST users' });
    }
  });
export type CreateUserDto = z.infer<typeof CreateUserSchema>;
