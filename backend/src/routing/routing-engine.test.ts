import { describe, expect, it } from 'vitest';
import { TEMPLATES } from '../seed/demo-seed.js';
import { defaultRules } from './default-rules.js';
import {
  ageInYears,
  ageStringYears,
  classify,
  compileRules,
  patternError,
  procedureCodesOf,
  studyFacts,
  type RuleDefinition,
  type StudyFacts,
} from './routing-engine.js';

const facts = (f: Partial<StudyFacts>): StudyFacts => ({
  requestedSubspecialty: null,
  modalities: [],
  bodyPart: null,
  description: null,
  procedureCodes: [],
  patientAgeYears: 45,
  ...f,
});

const rule = (r: Partial<RuleDefinition>): RuleDefinition => ({
  id: `rule-${r.rank ?? 1}`,
  rank: 1,
  name: 'rule',
  subspecialty: 'GENERAL',
  modalities: [],
  bodyPartPattern: null,
  descriptionPattern: null,
  procedureCodePattern: null,
  minPatientAgeYears: null,
  maxPatientAgeYears: null,
  enabled: true,
  ...r,
});

describe('classify', () => {
  it('an order request wins over every rule', () => {
    const set = compileRules([rule({ subspecialty: 'NEURO', modalities: ['CT'] })]);
    expect(classify(set, facts({ modalities: ['CT'], requestedSubspecialty: 'MSK' }))).toEqual({ subspecialty: 'MSK', reason: 'order requested msk', ruleId: null });
  });

  it('takes the first enabled rule by rank whose every set condition matches, and names it', () => {
    const set = compileRules([
      rule({ id: 'b', rank: 3, name: 'CT head', subspecialty: 'NEURO', modalities: ['CT'], descriptionPattern: 'HEAD' }),
      rule({ id: 'a', rank: 2, name: 'MR anything', subspecialty: 'BODY', modalities: ['MR'] }),
      rule({ id: 'c', rank: 1, name: 'disabled', subspecialty: 'CHEST', enabled: false }),
    ]);
    expect(classify(set, facts({ modalities: ['CT'], description: 'ct head w/o' }))).toEqual({
      subspecialty: 'NEURO',
      reason: "rule 'CT head' (#3): modality CT, description ~ head",
      ruleId: 'b',
    });
    expect(classify(set, facts({ modalities: ['CT'], description: 'CT CHEST' }))).toEqual({ subspecialty: 'GENERAL', reason: 'no rule matched: general read', ruleId: null });
  });

  it('modalities match any-of, case-insensitively; an empty list matches any modality', () => {
    const set = compileRules([rule({ name: 'Nuclear', subspecialty: 'NUCLEAR', modalities: ['nm', 'PT'] })]);
    expect(classify(set, facts({ modalities: ['CT', 'PT'] })).reason).toBe("rule 'Nuclear' (#1): modality PT");
    expect(classify(set, facts({ modalities: [] })).subspecialty).toBe('GENERAL');
    expect(classify(compileRules([rule({ name: 'All', subspecialty: 'BODY' })]), facts({})).reason).toBe("rule 'All' (#1): matches every study");
  });

  it('body part, description and procedure codes (value or meaning) are regexes; missing text does not match', () => {
    const set = compileRules([
      rule({ rank: 1, name: 'By code', subspecialty: 'CARDIAC', procedureCodePattern: '^7557[0-9]$|CORONARY' }),
      rule({ rank: 2, name: 'By body part', subspecialty: 'MSK', bodyPartPattern: '^knee$' }),
    ]);
    expect(classify(set, facts({ procedureCodes: [{ value: '75574', scheme: 'CPT', meaning: null }] })).reason).toBe("rule 'By code' (#1): procedure code ~ 75574");
    expect(classify(set, facts({ procedureCodes: [{ value: 'X1', scheme: null, meaning: 'CTA coronary arteries' }] })).reason).toBe(
      "rule 'By code' (#1): procedure code ~ coronary",
    );
    expect(classify(set, facts({ bodyPart: 'KNEE' })).reason).toBe("rule 'By body part' (#2): body part ~ KNEE");
    expect(classify(set, facts({ bodyPart: 'KNEES' })).subspecialty).toBe('GENERAL');
    expect(classify(set, facts({ bodyPart: null })).subspecialty).toBe('GENERAL');
  });

  it('age bounds are inclusive and need a known age', () => {
    const set = compileRules([
      rule({ rank: 1, name: 'Children', subspecialty: 'PEDIATRIC', maxPatientAgeYears: 17 }),
      rule({ rank: 2, name: 'Elderly', subspecialty: 'BODY', minPatientAgeYears: 65, maxPatientAgeYears: 120 }),
    ]);
    expect(classify(set, facts({ patientAgeYears: 17 })).reason).toBe("rule 'Children' (#1): patient aged 17 (≤ 17)");
    expect(classify(set, facts({ patientAgeYears: 18 })).subspecialty).toBe('GENERAL');
    expect(classify(set, facts({ patientAgeYears: 65 })).reason).toBe("rule 'Elderly' (#2): patient aged 65 (65–120)");
    expect(classify(set, facts({ patientAgeYears: null })).subspecialty).toBe('GENERAL');
  });

  it('leaves out a stored rule whose pattern does not compile, and reports it', () => {
    const bad: string[] = [];
    const set = compileRules([rule({ rank: 1, name: 'broken', descriptionPattern: '(' }), rule({ rank: 2, name: 'ok', subspecialty: 'CHEST' })], (r, e) => bad.push(`${r.name}: ${e}`));
    expect(set.rules).toHaveLength(1);
    expect(bad[0]).toMatch(/^broken: /);
    expect(classify(set, facts({})).subspecialty).toBe('CHEST');
  });

  it('a pattern that matches emptily is shown as the pattern', () => {
    const set = compileRules([rule({ name: 'Any text', descriptionPattern: '^' })]);
    expect(classify(set, facts({ description: 'X' })).reason).toBe("rule 'Any text' (#1): description ~ /^/");
  });
});

describe('study facts', () => {
  it('age in whole years at the study date', () => {
    expect(ageInYears('20180615', '20260614')).toBe(7);
    expect(ageInYears('20180615', '20260615')).toBe(8);
    expect(ageInYears('2018-06-15', '2026.06.16')).toBe(8);
    expect(ageInYears('', '20260615')).toBeNull();
    expect(ageInYears('20300101', '20260615')).toBeNull();
    expect(ageStringYears('008Y')).toBe(8);
    expect(ageStringYears('018M')).toBe(1);
    expect(ageStringYears('010D')).toBe(0);
    expect(ageStringYears('8Y')).toBeNull();
  });

  it('reads Procedure Code Sequence items and falls back to Patient’s Age', () => {
    const dicomJson = {
      '00081032': {
        vr: 'SQ',
        Value: [
          { '00080100': { vr: 'SH', Value: ['70450'] }, '00080102': { vr: 'SH', Value: ['CPT'] }, '00080104': { vr: 'LO', Value: ['CT HEAD WO CONTRAST'] } },
          { '00080120': { vr: 'UR', Value: ['urn:x:1'] } },
          {},
        ],
      },
      '00101010': { vr: 'AS', Value: ['006Y'] },
    };
    expect(procedureCodesOf(dicomJson)).toEqual([
      { value: '70450', scheme: 'CPT', meaning: 'CT HEAD WO CONTRAST' },
      { value: 'urn:x:1', scheme: null, meaning: null },
    ]);
    const f = studyFacts({ modalities: ['CT'], bodyPart: null, description: null, studyDate: '20260101', dicomJson, patient: { birthDate: null } }, null);
    expect(f.patientAgeYears).toBe(6);
    expect(procedureCodesOf(null)).toEqual([]);
  });

  it('validates patterns', () => {
    expect(patternError('HEAD|BRAIN')).toBeNull();
    expect(patternError('([a-')).toMatch(/Invalid regular expression/);
  });
});

/** The default rule set against the studies a teleradiology night brings. */
describe('default rules', () => {
  const set = compileRules(defaultRules());
  const route = (f: Partial<StudyFacts>) => classify(set, facts(f));
  const cases: [string, Partial<StudyFacts>, string, RegExp][] = [
    ['CT head', { modalities: ['CT'], bodyPart: 'HEAD', description: 'CT HEAD WITHOUT CONTRAST' }, 'NEURO', /^rule 'CT\/MR head and neck' \(#\d+\): modality CT, description ~ HEAD$/],
    ['MR L-spine', { modalities: ['MR'], bodyPart: 'LSPINE', description: 'MRI L-SPINE WO' }, 'NEURO', /^rule 'CT\/MR spine'.*description ~ SPINE$/],
    ['CT cervical spine', { modalities: ['CT'], bodyPart: 'CSPINE', description: 'CT CERVICAL SPINE WITHOUT CONTRAST' }, 'NEURO', /CT\/MR spine/],
    ['CT chest', { modalities: ['CT'], bodyPart: 'CHEST', description: 'CT CHEST WITH CONTRAST' }, 'CHEST', /^rule 'CT chest'.*description ~ CHEST$/],
    ['CTA PE', { modalities: ['CT'], bodyPart: 'CHEST', description: 'CTA CHEST PE PROTOCOL' }, 'CHEST', /CT chest/],
    ['CT chest abdomen pelvis', { modalities: ['CT'], description: 'CT CHEST ABDOMEN PELVIS W' }, 'BODY', /abdomen and pelvis/],
    ['CT abdomen pelvis', { modalities: ['CT'], bodyPart: 'ABDOMEN', description: 'CT ABDOMEN PELVIS WITH CONTRAST' }, 'BODY', /description ~ ABDOMEN/],
    ['MR knee', { modalities: ['MR'], bodyPart: 'KNEE', description: 'MRI KNEE WITHOUT CONTRAST' }, 'MSK', /^rule 'Musculoskeletal'.*description ~ KNEE$/],
    ['XR wrist', { modalities: ['DX'], bodyPart: 'WRIST', description: 'XR WRIST 3 VIEWS' }, 'MSK', /description ~ WRIST/],
    ['MG screening', { modalities: ['MG'], bodyPart: 'BREAST', description: 'MG SCREENING BILATERAL' }, 'BREAST', /^rule 'Mammography'.*modality MG$/],
    ['breast US', { modalities: ['US'], description: 'US BREAST LEFT LIMITED' }, 'BREAST', /Breast imaging/],
    ['NM bone scan', { modalities: ['NM'], bodyPart: 'WHOLEBODY', description: 'NM BONE SCAN WHOLE BODY' }, 'NUCLEAR', /modality NM/],
    ['PET/CT', { modalities: ['PT', 'CT'], description: 'PET CT SKULL BASE TO MID THIGH' }, 'NUCLEAR', /modality PT/],
    ['cardiac MR', { modalities: ['MR'], bodyPart: 'HEART', description: 'MRI CARDIAC MORPHOLOGY AND FUNCTION' }, 'CARDIAC', /Cardiac CT and MR.*CARDIAC/],
    ['coronary CTA', { modalities: ['CT'], bodyPart: 'HEART', description: 'CTA CORONARY ARTERIES' }, 'CARDIAC', /description ~ CORONARY/],
    ['CT-guided biopsy', { modalities: ['CT'], description: 'CT GUIDED LUNG BIOPSY' }, 'INTERVENTIONAL', /Image-guided procedures/],
    ['8-year-old CT head', { modalities: ['CT'], bodyPart: 'HEAD', description: 'CT HEAD WITHOUT CONTRAST', patientAgeYears: 8 }, 'PEDIATRIC', /^rule 'Pediatric patients' \(#1\): patient aged 8 \(≤ 17\)$/],
    ['MR with only a body part', { modalities: ['MR'], bodyPart: 'BRAIN', description: 'SCAN 1' }, 'NEURO', /Neuro by body part.*body part ~ BRAIN/],
    ['chest radiograph', { modalities: ['CR'], bodyPart: 'CHEST', description: 'XR CHEST 2 VIEWS' }, 'GENERAL', /^no rule matched/],
    ['unknown', { modalities: ['OT'], description: 'SCANNED DOCUMENT' }, 'GENERAL', /^no rule matched: general read$/],
  ];
  it.each(cases)('%s', (_, f, subspecialty, reason) => {
    const r = route(f);
    expect(r.subspecialty).toBe(subspecialty);
    expect(r.reason).toMatch(reason);
  });

  it('an order requesting MSK on a CT head is read by MSK', () => {
    expect(route({ modalities: ['CT'], description: 'CT HEAD', requestedSubspecialty: 'MSK' })).toMatchObject({ subspecialty: 'MSK', reason: 'order requested msk' });
  });

  it('routes every demo study template where the demo says it goes', () => {
    for (const t of TEMPLATES) {
      const r = route({ modalities: [t.modality], bodyPart: t.bodyPart, description: t.description, patientAgeYears: t.child ? 9 : 52 });
      expect([t.description, r.subspecialty]).toEqual([t.description, t.subspecialty]);
    }
  });

  it('every default pattern compiles and ranks are 1..n', () => {
    const rules = defaultRules();
    expect(set.rules).toHaveLength(rules.length);
    expect(rules.map((r) => r.rank)).toEqual(rules.map((_, i) => i + 1));
  });
});
