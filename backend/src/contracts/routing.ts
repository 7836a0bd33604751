/**
 * Subspecialty routing rules on the wire (/api/routing-rules), shared with the web app.
 * Types only, like worklist.ts.
 */
import type { Subspecialty } from './worklist.js';

/** What a rule matches and where it sends the case: the conditions set must all hold. */
export interface RoutingCriteria {
  name: string;
  subspecialty: Subspecialty;
  /** Any of these modalities (empty = any modality). */
  modalities: readonly string[];
  /** Case-insensitive regular expressions (null = anything). */
  bodyPartPattern: string | null;
  descriptionPattern: string | null;
  /** Matched against every procedure code's value and meaning. */
  procedureCodePattern: string | null;
  minPatientAgeYears: number | null;
  maxPatientAgeYears: number | null;
  enabled: boolean;
}

export interface RoutingRuleView extends RoutingCriteria {
  id: string;
  /** Position in evaluation order, 1 = first. */
  rank: number;
  modalities: string[];
  createdAt: string;
  updatedAt: string;
}

/** POST body; PATCH takes any part of it. `rank` moves the rule there (others shift). */
export type RoutingRuleInput = Pick<
  RoutingRuleView,
  'name' | 'subspecialty' | 'modalities' | 'bodyPartPattern' | 'descriptionPattern' | 'procedureCodePattern' | 'minPatientAgeYears' | 'maxPatientAgeYears' | 'enabled'
> & { rank?: number };

/** POST /api/routing-rules/test: what routing looks at. */
export interface RoutingTestStudy {
  modalities?: string[];
  bodyPart?: string | null;
  description?: string | null;
  procedureCodes?: string[];
  patientAgeYears?: number;
  requestedSubspecialty?: Subspecialty | null;
}

export interface RoutingDecision {
  subspecialty: Subspecialty;
  /** In the reader's words, naming the rule: "rule 'CT head' (#3): modality CT, description ~ HEAD". */
  reason: string;
  ruleId: string | null;
}
