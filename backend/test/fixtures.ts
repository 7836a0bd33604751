import argon2 from 'argon2';
import type { PrismaService } from '../src/database/prisma.service.js';
import type { Priority, Role, Subspecialty } from '../src/generated/prisma/enums.js';
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

  const study = async (hospitalId: string, n: number, priority: Priority, subspecialty: Subspecialty) => {
    const patient = await prisma.patient.create({
      // Both hospitals use MRN 1001 for different people: never merged.
      data: { hospitalId, mrn: '1001', issuer: hospitalId, name: `PATIENT^${n}`, birthDate: '19700101', sex: 'F' },
    });
    const s = await prisma.study.create({
      data: {
        hospitalId,
        patientId: patient.id,
        studyInstanceUid: `1.2.826.0.1.3680043.10.1.${n}`,
        accessionNumber: `ACC${n}`,
        studyDate: '20261123',
        description: 'CT HEAD WITHOUT CONTRAST',
        modalities: ['CT'],
        bodyPart: 'HEAD',
        status: 'COMPLETE',
        numSeries: 1,
        numInstances: 1,
      },
    });
    const now = Date.now();
    const item = await prisma.worklistItem.create({
      data: { hospitalId, studyId: s.id, priority, subspecialty, receivedAt: new Date(now), dueAt: new Date(now + 30 * 60_000) },
    });
    return { patient, study: s, item };
  };

  const cases = {
    a: await study(hospitalA.id, 1, 'STAT', 'NEURO'),
    b: await study(hospitalB.id, 2, 'ROUTINE', 'NEURO'),
  };
  return { network, hospitalA, hospitalB, users, cases };
}

export type World = Awaited<ReturnType<typeof seedWorld>>;
