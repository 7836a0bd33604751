import { describe, expect, it } from 'vitest';
import { autoAssigns, ineligibility, readableSubspecialties, type ReaderCredentials } from './eligibility.js';
import { studyWorkUnits } from './work-units.js';

describe('studyWorkUnits', () => {
  it.each([
    [['CR'], 1],
    [['DX'], 1],
    [['US'], 1.5],
    [['MG'], 2],
    [['CT'], 2.5],
    [['MR'], 3],
    [['NM'], 3],
    [['PT', 'CT'], 5.5],
    [['CT', 'SR', 'PR'], 2.5], // reports and presentation states are not images to read
    [['ct', 'CT'], 2.5],
    [['OT'], 1],
    [[], 1],
    [['MR', 'PT', 'CT'], 6], // capped
  ])('%j → %d', (modalities, units) => expect(studyWorkUnits(modalities)).toBe(units));
});

describe('ineligibility', () => {
  const now = new Date('2026-11-23T12:00:00Z');
  const later = new Date('2027-01-01T00:00:00Z');
  const earlier = new Date('2026-11-01T00:00:00Z');
  const target = { hospitalId: 'h1', hospitalName: 'Alpha General', jurisdiction: 'TX', subspecialty: 'NEURO' as const };
  const reader: ReaderCredentials = {
    displayName: 'Dr Grey',
    role: 'RADIOLOGIST',
    active: true,
    subspecialties: ['NEURO'],
    licenses: [{ jurisdiction: 'TX', expiresAt: later }],
    privileges: [{ hospitalId: 'h1', expiresAt: later }],
  };

  it('is null for an active radiologist with license, privilege and subspecialty', () => {
    expect(ineligibility(reader, target, now)).toBeNull();
    expect(ineligibility({ ...reader, subspecialties: [] }, { ...target, subspecialty: 'GENERAL' }, now)).toBeNull();
  });

  it.each<[string, Partial<ReaderCredentials>, Partial<typeof target>, RegExp]>([
    ['role', { role: 'HOSPITAL_STAFF' }, {}, /Dr Grey is not a radiologist/],
    ['active', { active: false }, {}, /deactivated/],
    ['no license', { licenses: [{ jurisdiction: 'CA', expiresAt: later }] }, {}, /holds no license for TX/],
    ['expired license', { licenses: [{ jurisdiction: 'TX', expiresAt: earlier }] }, {}, /TX license expired on 2026-11-01/],
    ['license expiring now', { licenses: [{ jurisdiction: 'TX', expiresAt: now }] }, {}, /license expired/],
    ['no privilege', { privileges: [] }, {}, /no privileges at Alpha General/],
    ['expired privilege', { privileges: [{ hospitalId: 'h1', expiresAt: earlier }] }, {}, /privileges at Alpha General expired on 2026-11-01/],
    ['subspecialty', { subspecialties: ['CHEST'] }, {}, /routed to neuro, which is not among Dr Grey's subspecialties/],
  ])('names the reason: %s', (_, r, t, why) => expect(ineligibility({ ...reader, ...r }, { ...target, ...t }, now)).toMatch(why));
});

describe('subspecialty rules', () => {
  it('everyone reads general work', () => {
    expect(readableSubspecialties(['NEURO'])).toEqual(['NEURO', 'GENERAL']);
    expect(readableSubspecialties(['GENERAL'])).toEqual(['GENERAL']);
  });

  it('an empty auto-assign list means every subspecialty', () => {
    expect(autoAssigns({ autoAssign: true, autoAssignSubspecialties: [] }, 'BODY')).toBe(true);
    expect(autoAssigns({ autoAssign: true, autoAssignSubspecialties: ['NEURO'] }, 'BODY')).toBe(false);
    expect(autoAssigns({ autoAssign: false, autoAssignSubspecialties: [] }, 'BODY')).toBe(false);
  });
});
