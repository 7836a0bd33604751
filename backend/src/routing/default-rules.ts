import type { Prisma, PrismaClient } from '../generated/prisma/client.js';
import type { RuleDefinition } from './routing-engine.js';

type DefaultRule = Omit<RuleDefinition, 'id' | 'rank' | 'enabled'>;

const rule = (name: string, subspecialty: DefaultRule['subspecialty'], when: Partial<Omit<DefaultRule, 'name' | 'subspecialty'>>): DefaultRule => ({
  name,
  subspecialty,
  modalities: [],
  bodyPartPattern: null,
  descriptionPattern: null,
  procedureCodePattern: null,
  minPatientAgeYears: null,
  maxPatientAgeYears: null,
  ...when,
});

const CROSS_SECTIONAL = ['CT', 'MR'];

/**
 * The rules every network starts with (admins edit them at /admin/routing). Order matters:
 * - children go to pediatric readers whatever the exam;
 * - breast, nuclear medicine and procedures are recognised by modality or wording before the
 *   body region (a PET/CT of the skull base to thigh is a nuclear read, not neuro);
 * - abdomen/pelvis comes before chest so a CT chest-abdomen-pelvis is a body read;
 * - rules on Body Part Examined come last: descriptions are more reliable than that tag.
 * Plain films and ultrasound other than MSK and breast stay general reads.
 */
const DEFAULTS: DefaultRule[] = [
  rule('Pediatric patients', 'PEDIATRIC', { maxPatientAgeYears: 17 }),
  rule('Mammography', 'BREAST', { modalities: ['MG'] }),
  rule('Breast imaging', 'BREAST', { descriptionPattern: '\\b(BREASTS?|MAMMO\\w*)\\b' }),
  rule('Nuclear medicine and PET', 'NUCLEAR', { modalities: ['NM', 'PT'] }),
  rule('Image-guided procedures', 'INTERVENTIONAL', {
    descriptionPattern:
      '\\b(BIOPSY|DRAIN(AGE)?|ASPIRATION|EMBOLI[SZ]ATION|ABLATION|NEPHROSTOMY|CHOLECYSTOSTOMY|VERTEBROPLASTY|KYPHOPLASTY|PICC|THROMBECTOMY|PARACENTESIS|THORACENTESIS|GUIDED)\\b',
  }),
  rule('Angiography', 'INTERVENTIONAL', { modalities: ['XA'] }),
  rule('Cardiac CT and MR', 'CARDIAC', { modalities: CROSS_SECTIONAL, descriptionPattern: '\\b(CARDIAC|HEART|CORONAR\\w*|CALCIUM SCOR\\w*|MYOCARD\\w*|CCTA|TAV[IR])\\b' }),
  rule('CT/MR head and neck', 'NEURO', {
    modalities: CROSS_SECTIONAL,
    descriptionPattern: '\\b(HEAD|BRAIN|SKULL|ORBITS?|SINUS(ES)?|FACIAL|FACE|IACS?|TEMPORAL BONES?|PITUITARY|SELLA|NECK|CAROTIDS?|WILLIS|STROKE)\\b',
  }),
  rule('CT/MR spine', 'NEURO', { modalities: CROSS_SECTIONAL, descriptionPattern: '\\b(\\w*SPINE|SPINAL|LUMBAR|MYELO\\w*)\\b' }),
  rule('CT/MR abdomen and pelvis', 'BODY', {
    modalities: CROSS_SECTIONAL,
    descriptionPattern:
      '\\b(ABD\\w*|PELVI[SC]|LIVER|HEPATIC|PANCREA\\w*|KIDNEYS?|RENAL|ADRENALS?|UROGRA\\w*|ENTEROGRA\\w*|BOWEL|COLON\\w*|MRCP|BILIARY|SPLEEN|PROSTATE|UTERUS|OVAR\\w*|RECT(AL|UM)|APPENDI\\w*)\\b',
  }),
  rule('CT chest', 'CHEST', { modalities: ['CT'], descriptionPattern: '\\b(CHEST|THORAX|THORACIC|LUNGS?|PULMONARY|PE|CTPA|MEDIASTIN\\w*)\\b' }),
  rule('Musculoskeletal', 'MSK', {
    descriptionPattern:
      '\\b(KNEES?|SHOULDERS?|HIPS?|WRISTS?|ANKLES?|ELBOWS?|HANDS?|FINGERS?|THUMBS?|FOOT|FEET|TOES?|HEELS?|CALCANE\\w*|FEMUR|TIBIA|FIBULA|HUMERUS|FOREARM|RADIUS|ULNA|CLAVICLE|SCAPULA|PATELLA|SCAPHOID|EXTREMIT(Y|IES)|ARTHROGRA\\w*|SACROILIAC)\\b',
  }),
  // Body Part Examined (DICOM CID 4031 values) when the description names no region.
  rule('Cardiac by body part', 'CARDIAC', { modalities: CROSS_SECTIONAL, bodyPartPattern: '^(HEART|CORONARY\\w*)$' }),
  rule('Neuro by body part', 'NEURO', { modalities: CROSS_SECTIONAL, bodyPartPattern: '^(HEAD|BRAIN|SKULL|NECK|HEADNECK|ORBIT|SINUS|IAC|[CTLS]*SPINE|WHOLESPINE)$' }),
  rule('Body by body part', 'BODY', { modalities: CROSS_SECTIONAL, bodyPartPattern: '^(ABDOMEN|PELVIS|ABDOMENPELVIS|ABDPELVIS|LIVER|KIDNEY|PANCREAS|PROSTATE|UTERUS)$' }),
  rule('Chest CT by body part', 'CHEST', { modalities: ['CT'], bodyPartPattern: '^(CHEST|THORAX|LUNG)$' }),
  rule('Breast by body part', 'BREAST', { bodyPartPattern: '^BREAST$' }),
  rule('MSK by body part', 'MSK', {
    bodyPartPattern: '^(KNEE|SHOULDER|HIP|WRIST|ANKLE|ELBOW|HAND|FINGER|THUMB|FOOT|TOE|HEEL|FEMUR|TIBIA|FIBULA|HUMERUS|FOREARM|CLAVICLE|SCAPULA|PATELLA|EXTREMITY)$',
  }),
];

/** The default rule set, ranked 1..n and enabled. */
export function defaultRules(): (RuleDefinition & { modalities: string[] })[] {
  return DEFAULTS.map((r, i) => ({ ...r, modalities: [...r.modalities], rank: i + 1, enabled: true }));
}

type Tx = Prisma.TransactionClient;

/** Serialises rule-set changes of one network across processes (released at commit). */
export async function lockNetworkRules(tx: Tx, networkId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(72707371, hashtext(${networkId}))`;
}

/** Writes the default rules into a transaction (the network's rules must be gone or absent). */
export async function writeDefaultRules(tx: Tx, networkId: string): Promise<void> {
  await tx.routingRule.createMany({ data: defaultRules().map((r) => ({ ...r, networkId })) });
}

/**
 * Gives a network without rules the default set; idempotent and safe when several processes
 * start together. The demo seed, boot and the routing service all come through here.
 */
export function ensureDefaultRules(prisma: PrismaClient, networkId: string): Promise<boolean> {
  return prisma.$transaction(async (tx) => {
    await lockNetworkRules(tx, networkId);
    if ((await tx.routingRule.count({ where: { networkId } })) > 0) return false;
    await writeDefaultRules(tx, networkId);
    return true;
  });
}
