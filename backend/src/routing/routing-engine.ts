/**
 * Subspecialty routing as a pure function: an order's explicit request wins, otherwise the
 * first enabled rule (lowest rank) whose every set condition matches, otherwise a general read.
 * No I/O here, so the same engine routes intake, the admin's "test a study" box and the demo seed.
 */
import type { RoutingCriteria } from '../contracts/routing.js';
import type { Subspecialty } from '../generated/prisma/enums.js';

/** A routing rule as stored (RoutingRule) or as a default; `id` is absent for defaults not yet saved. */
export interface RuleDefinition extends RoutingCriteria {
  id?: string;
  rank: number;
}

export interface ProcedureCode {
  value: string | null;
  scheme: string | null;
  meaning: string | null;
}

/** What routing looks at, already reduced from the study, its patient and its order. */
export interface StudyFacts {
  requestedSubspecialty: Subspecialty | null;
  modalities: readonly string[];
  bodyPart: string | null;
  description: string | null;
  procedureCodes: readonly ProcedureCode[];
  /** Whole years at the study date; null when unknown (age-bounded rules then do not match). */
  patientAgeYears: number | null;
}

export type { RoutingDecision } from '../contracts/routing.js';
import type { RoutingDecision } from '../contracts/routing.js';

interface CompiledRule {
  rule: RuleDefinition;
  modalities: ReadonlySet<string>;
  bodyPart: RegExp | null;
  description: RegExp | null;
  procedureCode: RegExp | null;
}

/** Enabled rules in evaluation order with their regexes compiled: build once per rule set, reuse. */
export interface CompiledRuleSet {
  readonly rules: readonly CompiledRule[];
}

export const PATTERN_FIELDS = ['bodyPartPattern', 'descriptionPattern', 'procedureCodePattern'] as const;
export type PatternField = (typeof PATTERN_FIELDS)[number];

/** Rule patterns are case-insensitive. */
export function compilePattern(pattern: string): RegExp {
  return new RegExp(pattern, 'i');
}

/** Why a pattern is not a valid regular expression, or null if it is. */
export function patternError(pattern: string): string | null {
  try {
    compilePattern(pattern);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * Sorts and compiles the enabled rules. A stored rule whose pattern no longer compiles (edited
 * in the database by hand) is left out and reported, rather than stopping all routing.
 */
export function compileRules(rules: readonly RuleDefinition[], onInvalid?: (rule: RuleDefinition, error: string) => void): CompiledRuleSet {
  const compiled: CompiledRule[] = [];
  for (const rule of [...rules].filter((r) => r.enabled).sort((a, b) => a.rank - b.rank)) {
    try {
      compiled.push({
        rule,
        modalities: new Set(rule.modalities.map((m) => m.toUpperCase())),
        bodyPart: rule.bodyPartPattern ? compilePattern(rule.bodyPartPattern) : null,
        description: rule.descriptionPattern ? compilePattern(rule.descriptionPattern) : null,
        procedureCode: rule.procedureCodePattern ? compilePattern(rule.procedureCodePattern) : null,
      });
    } catch (err) {
      onInvalid?.(rule, err instanceof Error ? err.message : String(err));
    }
  }
  return { rules: compiled };
}

// Attributes are short in DICOM (LO = 64 chars); bounding what a regex sees bounds its cost.
const MAX_TEXT = 256;
const clip = (s: string | null | undefined) => (s ? s.slice(0, MAX_TEXT) : '');

/** The text a match found, for the reason ("description ~ HEAD"); the pattern itself if it matched emptily. */
function found(re: RegExp, text: string): string | null {
  const m = re.exec(text);
  if (!m) return null;
  return m[0].trim() || `/${re.source}/`;
}

/** The conditions of one rule that the study meets, in words, or null if any set condition fails. */
function matchRule(c: CompiledRule, facts: StudyFacts): string[] | null {
  const clauses: string[] = [];
  if (c.modalities.size > 0) {
    const hit = facts.modalities.map((m) => m.toUpperCase()).filter((m) => c.modalities.has(m));
    if (hit.length === 0) return null;
    clauses.push(`modality ${[...new Set(hit)].join('/')}`);
  }
  if (c.bodyPart) {
    const hit = found(c.bodyPart, clip(facts.bodyPart));
    if (!hit) return null;
    clauses.push(`body part ~ ${hit}`);
  }
  if (c.description) {
    const hit = found(c.description, clip(facts.description));
    if (!hit) return null;
    clauses.push(`description ~ ${hit}`);
  }
  if (c.procedureCode) {
    let hit: string | null = null;
    for (const code of facts.procedureCodes) {
      hit = (code.value && found(c.procedureCode, clip(code.value))) || (code.meaning && found(c.procedureCode, clip(code.meaning))) || null;
      if (hit) break;
    }
    if (!hit) return null;
    clauses.push(`procedure code ~ ${hit}`);
  }
  const { minPatientAgeYears: min, maxPatientAgeYears: max } = c.rule;
  if (min !== null || max !== null) {
    const age = facts.patientAgeYears;
    if (age === null || (min !== null && age < min) || (max !== null && age > max)) return null;
    const bounds = min !== null && max !== null ? `${min}–${max}` : min !== null ? `≥ ${min}` : `≤ ${max}`;
    clauses.push(`patient aged ${age} (${bounds})`);
  }
  return clauses;
}

export function classify(ruleSet: CompiledRuleSet, facts: StudyFacts): RoutingDecision {
  if (facts.requestedSubspecialty) {
    return { subspecialty: facts.requestedSubspecialty, reason: `order requested ${facts.requestedSubspecialty.toLowerCase()}`, ruleId: null };
  }
  for (const c of ruleSet.rules) {
    const clauses = matchRule(c, facts);
    if (!clauses) continue;
    const why = clauses.length ? clauses.join(', ') : 'matches every study';
    return { subspecialty: c.rule.subspecialty, reason: `rule '${c.rule.name}' (#${c.rule.rank}): ${why}`, ruleId: c.rule.id ?? null };
  }
  return { subspecialty: 'GENERAL', reason: 'no rule matched: general read', ruleId: null };
}

// ------------------------------------------------------------------ study → facts

/** DICOM DA (YYYYMMDD; also YYYY-MM-DD and the old YYYY.MM.DD) → YYYYMMDD, or null. */
export function normalizeDate(value: string | null | undefined): string | null {
  const digits = value?.trim().replace(/[-.]/g, '');
  return digits && /^\d{8}$/.test(digits) ? digits : null;
}

/** Whole years from a birth date to a date (both DICOM DA); null if either is unusable. */
export function ageInYears(birthDate: string | null | undefined, at: string | null | undefined): number | null {
  const born = normalizeDate(birthDate);
  const on = normalizeDate(at);
  if (!born || !on) return null;
  const years = Number(on.slice(0, 4)) - Number(born.slice(0, 4));
  const age = on.slice(4) < born.slice(4) ? years - 1 : years;
  return age >= 0 ? age : null;
}

/** DICOM AS ("008Y", "018M", "003W", "010D") → whole years, or null. */
export function ageStringYears(value: string | null | undefined): number | null {
  const m = /^(\d{3})([DWMY])$/.exec(value?.trim() ?? '');
  if (!m) return null;
  const n = Number(m[1]);
  const perYear = { D: 365.25, W: 52.1775, M: 12, Y: 1 }[m[2] as 'D' | 'W' | 'M' | 'Y'];
  return Math.floor(n / perYear);
}

type DicomJson = Record<string, { vr?: string; Value?: unknown[] } | undefined>;

const firstString = (item: DicomJson, tag: string): string | null => {
  const v = item[tag]?.Value?.[0];
  return typeof v === 'string' && v.trim() ? v.trim() : null;
};

/** Procedure Code Sequence (0008,1032) items of a DICOM JSON dataset. */
export function procedureCodesOf(json: unknown): ProcedureCode[] {
  const seq = (json as DicomJson | null)?.['00081032']?.Value;
  if (!Array.isArray(seq)) return [];
  return seq
    .filter((item): item is DicomJson => typeof item === 'object' && item !== null)
    .map((item) => ({
      // Code Value, or its long / URN forms for codes that do not fit SH.
      value: firstString(item, '00080100') ?? firstString(item, '00080119') ?? firstString(item, '00080120'),
      scheme: firstString(item, '00080102'),
      meaning: firstString(item, '00080104'),
    }))
    .filter((c) => c.value || c.meaning);
}

/** Patient's Age (0010,1010) of a DICOM JSON dataset, in years. */
export const patientAgeOf = (json: unknown): number | null => ageStringYears(firstString((json as DicomJson | null) ?? {}, '00101010'));

export interface StudyAttributes {
  modalities: readonly string[];
  bodyPart: string | null;
  description: string | null;
  /** DICOM DA; when absent the age is taken at `today`. */
  studyDate: string | null;
  /** Study-level DICOM JSON, for procedure codes and Patient's Age. */
  dicomJson: unknown;
  patient: { birthDate: string | null };
}

/** The routing facts of a stored study: age from birth date at the study date, else Patient's Age. */
export function studyFacts(study: StudyAttributes, requestedSubspecialty: Subspecialty | null, today = new Date()): StudyFacts {
  const at = normalizeDate(study.studyDate) ?? today.toISOString().slice(0, 10);
  return {
    requestedSubspecialty,
    modalities: study.modalities,
    bodyPart: study.bodyPart,
    description: study.description,
    procedureCodes: procedureCodesOf(study.dicomJson),
    patientAgeYears: ageInYears(study.patient.birthDate, at) ?? patientAgeOf(study.dicomJson),
  };
}
