import type { Subspecialty } from '../generated/prisma/enums.js';

export interface RoutingInput {
  requested: Subspecialty | null;
  modalities: string[];
  bodyPart: string | null;
  description: string | null;
  patientBirthDate: string | null;
  studyDate: string | null;
}

/** Built-in routing until admin-editable rules replace it: first match wins, with the reason shown to readers. */
const RULES: { subspecialty: Subspecialty; reason: string; test: (i: RoutingInput, text: string) => boolean }[] = [
  { subspecialty: 'BREAST', reason: 'mammography / breast', test: (i, t) => i.modalities.includes('MG') || /BREAST|MAMMO/.test(t) },
  { subspecialty: 'NUCLEAR', reason: 'nuclear medicine / PET', test: (i) => i.modalities.some((m) => m === 'NM' || m === 'PT') },
  { subspecialty: 'CARDIAC', reason: 'cardiac imaging', test: (_, t) => /HEART|CARDIAC|CORONARY/.test(t) },
  { subspecialty: 'NEURO', reason: 'head, brain, spine or neck', test: (_, t) => /HEAD|BRAIN|SKULL|SPINE|NECK|ORBIT|SINUS|\bIAC\b/.test(t) },
  { subspecialty: 'CHEST', reason: 'chest CT', test: (i, t) => i.modalities.includes('CT') && /CHEST|LUNG|THORAX|\bPE\b/.test(t) },
  { subspecialty: 'BODY', reason: 'abdomen / pelvis', test: (_, t) => /ABDOMEN|PELVIS|LIVER|KIDNEY|RENAL|PANCREA|BOWEL/.test(t) },
  { subspecialty: 'MSK', reason: 'musculoskeletal', test: (_, t) => /KNEE|SHOULDER|HIP|WRIST|ANKLE|ELBOW|HAND|FOOT|FEMUR|TIBIA|HUMERUS|EXTREMITY/.test(t) },
];

function ageInYears(birthDate: string | null, studyDate: string | null): number | null {
  if (!birthDate || !/^\d{8}$/.test(birthDate)) return null;
  const at = studyDate && /^\d{8}$/.test(studyDate) ? studyDate : new Date().toISOString().slice(0, 10).replace(/-/g, '');
  const years = Number(at.slice(0, 4)) - Number(birthDate.slice(0, 4));
  return at.slice(4) < birthDate.slice(4) ? years - 1 : years;
}

export function routeStudy(i: RoutingInput): { subspecialty: Subspecialty; reason: string } {
  if (i.requested) return { subspecialty: i.requested, reason: `order requested ${i.requested.toLowerCase()}` };
  const age = ageInYears(i.patientBirthDate, i.studyDate);
  if (age !== null && age < 18) return { subspecialty: 'PEDIATRIC', reason: `patient aged ${age}` };
  const text = `${i.bodyPart ?? ''} ${i.description ?? ''}`.toUpperCase();
  const rule = RULES.find((r) => r.test(i, text));
  return rule ? { subspecialty: rule.subspecialty, reason: rule.reason } : { subspecialty: 'GENERAL', reason: 'no rule matched: general read' };
}
