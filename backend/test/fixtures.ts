import argon2 from 'argon2';
import type { PrismaService } from '../src/database/prisma.service.js';
import type { Priority, Role, Subspecialty, WorklistState } from '../src/generated/prisma/enums.js';
import { PASSWORD } from './harness.js';

const DAY = 24 * 3600 * 1000;
const future = () => new Date(Date.now() + 365 * DAY);
const past = () => new Date(Date.now() - DAY);

/**
 * A small network for authorization tests: hospitals A (TX) and B (CA), and a user
 * for every row of the scoping matrix. Each hospital has one study with a worklist item.
 */
export async function seedWorld(prisma: PrismaService) {
  const passwordHash = await argon2.hash(PASSWORD, { type: argon2.argon2id, memoryCost: 1024, timeCost: 1 });
  const network = await prisma.network.create({ data: { name: 'Test network' } });
  const hospitalA = await prisma.hospital.create({
    data: { networkId: network.id, name: 'Alpha General', jurisdiction: 'TX', timezone: 'America/Chicago', aeTitles: { create: [{ aeTitle: 'ALPHA' }] } },
  });
  const hospitalB = await prisma.hospital.create({
    data: { networkId: network.id, name: 'Bravo Medical', jurisdiction: 'CA', timezone: 'America/Los_Angeles' },
  });

  const user = (email: string, role: Role, extra: { hospitalId?: string; subspecialties?: Subspecialty[]; licenses?: { jurisdiction: string; expiresAt: Date }[]; privileges?: { hospitalId: string; expiresAt: Date }[] } = {}) =>
    prisma.user.create({
      data: {
        email,
        displayName: email.split('@')[0],
        passwordHash,
        role,
        networkId: network.id,
        hospitalId: extra.hospitalId,
        subspecialties: extra.subspecialties ?? [],
        licenses: extra.licenses ? { create: extra.licenses } : undefined,
        privileges: extra.privileges ? { create: extra.privileges } : undefined,
      },
    });

  const users = {
    admin: await user('admin@test.example', 'ADMIN'),
    staffA: await user('staff.a@test.example', 'HOSPITAL_STAFF', { hospitalId: hospitalA.id }),
    staffB: await user('staff.b@test.example', 'HOSPITAL_STAFF', { hospitalId: hospitalB.id }),
    // Licensed in TX and privileged at A: sees A only.
    radA: await user('rad.a@test.example', 'RADIOLOGIST', {
      subspecialties: ['NEURO', 'GENERAL'],
      licenses: [{ jurisdiction: 'TX', expiresAt: future() }],
      privileges: [{ hospitalId: hospitalA.id, expiresAt: future() }],
    }),
    // Licensed in both states, privileged at both: sees A and B.
    radAB: await user('rad.ab@test.example', 'RADIOLOGIST', {
      subspecialties: ['NEURO', 'CHEST', 'GENERAL'],
      licenses: [{ jurisdiction: 'TX', expiresAt: future() }, { jurisdiction: 'CA', expiresAt: future() }],
      privileges: [{ hospitalId: hospitalA.id, expiresAt: future() }, { hospitalId: hospitalB.id, expiresAt: future() }],
    }),
    // Privileged at A but the TX license expired yesterday: sees nothing.
    radExpiredLicense: await user('rad.lic@test.example', 'RADIOLOGIST', {
      subspecialties: ['NEURO'],
      licenses: [{ jurisdiction: 'TX', expiresAt: past() }],
      privileges: [{ hospitalId: hospitalA.id, expiresAt: future() }],
    }),
    // Licensed in TX but privileges at A expired: sees nothing.
    radExpiredPrivilege: await user('rad.priv@test.example', 'RADIOLOGIST', {
      subspecialties: ['NEURO'],
      licenses: [{ jurisdiction: 'TX', expiresAt: future() }],
      privileges: [{ hospitalId: hospitalA.id, expiresAt: past() }],
    }),
    // Privileged at B, but licensed only in TX (B is in CA): sees nothing.
    radWrongState: await user('rad.state@test.example', 'RADIOLOGIST', {
      subspecialties: ['NEURO'],
      licenses: [{ jurisdiction: 'TX', expiresAt: future() }],
      privileges: [{ hospitalId: hospitalB.id, expiresAt: future() }],
    }),
    specialist: await user('specialist@test.example', 'SPECIALIST'),
  };

  // Both hospitals use MRN 1001 for different people: never merged.
  const seeded = { mrn: '1001', birthDate: '19700101', dueAt: new Date(Date.now() + 30 * 60_000) };
  const cases = {
    a: await createCase(prisma, hospitalA.id, { ...seeded, patientName: 'PATIENT^1', studyInstanceUid: '1.2.826.0.1.3680043.10.1.1', accessionNumber: 'ACC1', priority: 'STAT' }),
    b: await createCase(prisma, hospitalB.id, { ...seeded, patientName: 'PATIENT^2', studyInstanceUid: '1.2.826.0.1.3680043.10.1.2', accessionNumber: 'ACC2', priority: 'ROUTINE' }),
  };
  return { network, hospitalA, hospitalB, users, cases };
}

export type World = Awaited<ReturnType<typeof seedWorld>>;

let seq = 0;
/** Digits and dots unique within a test run (UIDs, MRNs, accession numbers, e-mail local parts). */
export const unique = () => `${process.pid}.${Date.now() % 1e9}.${++seq}`;

export interface StudySpec {
  mrn?: string;
  patientName?: string;
  birthDate?: string;
  studyInstanceUid?: string;
  accessionNumber?: string;
  description?: string;
  modalities?: string[];
  bodyPart?: string | null;
  receivedAt?: Date;
}

/** A complete study and its patient, written directly in the shape ingest leaves them (a CT head unless told). */
export async function createStudy(prisma: PrismaService, hospitalId: string, spec: StudySpec = {}) {
  const n = unique();
  const patient = await prisma.patient.create({
    data: { hospitalId, mrn: spec.mrn ?? `M${n}`, issuer: hospitalId, name: spec.patientName ?? `PATIENT^${n}`, birthDate: spec.birthDate, sex: 'F' },
  });
  const study = await prisma.study.create({
    data: {
      hospitalId,
      patientId: patient.id,
      studyInstanceUid: spec.studyInstanceUid ?? `1.2.826.0.1.3680043.10.9.${n}`,
      accessionNumber: spec.accessionNumber ?? `A${n.replace(/\./g, '')}`.slice(0, 16),
      studyDate: '20261123',
      description: spec.description ?? 'CT HEAD WITHOUT CONTRAST',
      modalities: spec.modalities ?? ['CT'],
      bodyPart: spec.bodyPart === undefined ? 'HEAD' : spec.bodyPart,
      status: 'COMPLETE',
      numSeries: 1,
      numInstances: 1,
      ...(spec.receivedAt ? { receivedAt: spec.receivedAt } : {}),
    },
  });
  return { patient, study };
}

export interface CaseSpec extends StudySpec {
  priority?: Priority;
  subspecialty?: Subspecialty;
  state?: WorklistState;
  dueAt?: Date;
  /** Claimed by this reader (state CLAIMED) with a lease of `leaseMs` (15 min unless told). */
  claimedById?: string;
  leaseMs?: number;
  declinedByIds?: string[];
}

/** A complete study on the worklist, rows written directly as intake would (ROUTINE NEURO, due in an hour, unless told). */
export async function createCase(prisma: PrismaService, hospitalId: string, spec: CaseSpec = {}) {
  const { patient, study } = await createStudy(prisma, hospitalId, spec);
  const now = Date.now();
  const claim = spec.claimedById
    ? { claimedById: spec.claimedById, claimedAt: new Date(now), leaseExpiresAt: new Date(now + (spec.leaseMs ?? 15 * 60_000)), claimSource: 'CLAIM' as const }
    : {};
  const item = await prisma.worklistItem.create({
    data: {
      hospitalId,
      studyId: study.id,
      priority: spec.priority ?? 'ROUTINE',
      subspecialty: spec.subspecialty ?? 'NEURO',
      state: spec.state ?? (spec.claimedById ? 'CLAIMED' : 'UNREAD'),
      receivedAt: spec.receivedAt ?? new Date(now),
      dueAt: spec.dueAt ?? new Date(now + 60 * 60_000),
      declinedByIds: spec.declinedByIds ?? [],
      ...claim,
    },
  });
  return { patient, study, item };
}
