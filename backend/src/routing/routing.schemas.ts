import { z } from 'zod';
import { SUBSPECIALTIES } from '../users/users.schemas.js';
import { normalizeDate, patternError } from './routing-engine.js';

const Subspecialty = z
  .string()
  .transform((s) => s.toUpperCase())
  .pipe(z.enum(SUBSPECIALTIES));

/** A case-insensitive regular expression; empty or null means "any". */
const Pattern = z
  .string()
  .trim()
  .max(500)
  .nullable()
  .transform((s) => s || null)
  .superRefine((s, ctx) => {
    const error = s && patternError(s);
    if (error) ctx.addIssue({ code: 'custom', message: `must be a valid regular expression: ${error}` });
  });

// DICOM Modality is a CS value: up to 16 upper-case letters, digits, space or underscore.
const Modalities = z
  .array(
    z
      .string()
      .trim()
      .transform((s) => s.toUpperCase())
      .pipe(z.string().regex(/^[A-Z0-9_ ]{1,16}$/, 'must be a DICOM modality such as CT, MR, DX')),
  )
  .max(32)
  .transform((m) => [...new Set(m)]);

const Age = z.number().int().min(0).max(150).nullable();

const RuleFields = {
  name: z.string().trim().min(1).max(100),
  subspecialty: Subspecialty,
  /** Position in evaluation order (1 = first); the others move to make room. Past the end = last. */
  rank: z.number().int().min(1).max(10_000),
  modalities: Modalities,
  bodyPartPattern: Pattern,
  descriptionPattern: Pattern,
  procedureCodePattern: Pattern,
  minPatientAgeYears: Age,
  maxPatientAgeYears: Age,
  enabled: z.boolean(),
};

const agesOrdered = (r: { minPatientAgeYears?: number | null; maxPatientAgeYears?: number | null }, ctx: z.RefinementCtx) => {
  if (r.minPatientAgeYears != null && r.maxPatientAgeYears != null && r.minPatientAgeYears > r.maxPatientAgeYears) {
    ctx.addIssue({ code: 'custom', path: ['minPatientAgeYears'], message: 'must not be greater than maxPatientAgeYears' });
  }
};

export const CreateRuleSchema = z
  .strictObject({
    ...RuleFields,
    rank: RuleFields.rank.optional(),
    modalities: RuleFields.modalities.default([]),
    bodyPartPattern: RuleFields.bodyPartPattern.default(null),
    descriptionPattern: RuleFields.descriptionPattern.default(null),
    procedureCodePattern: RuleFields.procedureCodePattern.default(null),
    minPatientAgeYears: Age.default(null),
    maxPatientAgeYears: Age.default(null),
    enabled: RuleFields.enabled.default(true),
  })
  .superRefine(agesOrdered);
export type CreateRuleDto = z.infer<typeof CreateRuleSchema>;

export const UpdateRuleSchema = z
  .strictObject({
    name: RuleFields.name.optional(),
    subspecialty: RuleFields.subspecialty.optional(),
    rank: RuleFields.rank.optional(),
    modalities: RuleFields.modalities.optional(),
    bodyPartPattern: RuleFields.bodyPartPattern.optional(),
    descriptionPattern: RuleFields.descriptionPattern.optional(),
    procedureCodePattern: RuleFields.procedureCodePattern.optional(),
    minPatientAgeYears: Age.optional(),
    maxPatientAgeYears: Age.optional(),
    enabled: RuleFields.enabled.optional(),
  })
  .superRefine(agesOrdered)
  .refine((r) => Object.keys(r).length > 0, 'must change at least one field');
export type UpdateRuleDto = z.infer<typeof UpdateRuleSchema>;

const DicomDate = z.string().refine((s) => normalizeDate(s) !== null, 'must be a date: YYYYMMDD or YYYY-MM-DD');

const ProcedureCode = z.union([
  z.string().trim().min(1).max(256),
  z.strictObject({ value: z.string().trim().max(256).optional(), scheme: z.string().trim().max(64).optional(), meaning: z.string().trim().max(256).optional() }),
]);

/** The attributes routing looks at, as an admin types them into "test a study". */
export const TestStudySchema = z
  .strictObject({
    modalities: Modalities.default([]),
    bodyPart: z.string().trim().max(64).nullable().default(null),
    description: z.string().trim().max(256).nullable().default(null),
    /** A plain string is a code value. */
    procedureCodes: z.array(ProcedureCode).max(32).default([]),
    patientAgeYears: z.number().int().min(0).max(150).optional(),
    birthDate: DicomDate.optional(),
    /** When the patient's age is taken (default today). */
    studyDate: DicomDate.optional(),
    requestedSubspecialty: Subspecialty.nullable().default(null),
  })
  .superRefine((s, ctx) => {
    if (s.patientAgeYears !== undefined && s.birthDate !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['birthDate'], message: 'give either patientAgeYears or birthDate, not both' });
    }
  });
export type TestStudyDto = z.infer<typeof TestStudySchema>;
