import type { PrismaService } from '../src/database/prisma.service.js';
import type { Priority, Subspecialty } from '../src/generated/prisma/enums.js';
import { jobId } from '../src/jobs/jobs.js';
import type { QueueService } from '../src/jobs/queue.service.js';
import { createCase, unique, type World } from './fixtures.js';

/** Small builders for assignment tests: hospitals, readers with credentials and shifts, cases. */

const HOUR = 3600_000;
export const inDays = (days: number) => new Date(Date.now() + days * 24 * HOUR);


export async function addHospital(
  prisma: PrismaService,
  world: World,
  opts: { jurisdiction?: string; requireNextCase?: boolean; autoAssign?: boolean; autoAssignSubspecialties?: Subspecialty[] } = {},
) {
  const n = unique();
  return prisma.hospital.create({
    data: {
      networkId: world.network.id,
      name: `Hospital ${n}`,
      jurisdiction: opts.jurisdiction ?? 'TX',
      timezone: 'America/Chicago',
      requireNextCase: opts.requireNextCase ?? false,
      autoAssign: opts.autoAssign ?? false,
      autoAssignSubspecialties: opts.autoAssignSubspecialties ?? [],
    },
  });
}

export interface ReaderSpec {
  subspecialties?: Subspecialty[];
  /** Jurisdiction → days until the license expires (negative: expired). */
  licenses?: Record<string, number>;
  /** Hospital id → days until the privilege expires. */
  privileges?: Record<string, number>;
  /** 'on': a shift covering now; 'off': only a shift that ended; none: no shifts. */
  shift?: 'on' | 'off';
  active?: boolean;
}

/** A radiologist with these credentials (same password as every fixture user). */
export async function addReader(prisma: PrismaService, world: World, name: string, spec: ReaderSpec) {
  const email = `${name}.${unique()}@test.example`;
  const now = Date.now();
  return prisma.user.create({
    data: {
      email,
      displayName: name,
      passwordHash: world.users.radA.passwordHash,
      role: 'RADIOLOGIST',
      networkId: world.network.id,
      active: spec.active ?? true,
      subspecialties: spec.subspecialties ?? ['GENERAL'],
      licenses: { create: Object.entries(spec.licenses ?? {}).map(([jurisdiction, days]) => ({ jurisdiction, expiresAt: inDays(days) })) },
      privileges: { create: Object.entries(spec.privileges ?? {}).map(([hospitalId, days]) => ({ hospitalId, expiresAt: inDays(days) })) },
      shifts:
        spec.shift === 'on'
          ? { create: [{ startsAt: new Date(now - HOUR), endsAt: new Date(now + 8 * HOUR) }] }
          : spec.shift === 'off'
            ? { create: [{ startsAt: new Date(now - 10 * HOUR), endsAt: new Date(now - 2 * HOUR) }] }
            : undefined,
    },
  });
}

export async function putOnShift(prisma: PrismaService, userId: string) {
  await prisma.shift.create({ data: { userId, startsAt: new Date(Date.now() - HOUR), endsAt: new Date(Date.now() + 8 * HOUR) } });
}

/** One complete study with its (unread) worklist item. */
export async function addCase(
  prisma: PrismaService,
  hospitalId: string,
  opts: { priority?: Priority; subspecialty?: Subspecialty; modalities?: string[]; dueInMinutes?: number; receivedMinutesAgo?: number; declinedByIds?: string[] } = {},
) {
  const modalities = opts.modalities ?? ['CT'];
  const { item } = await createCase(prisma, hospitalId, {
    ...opts,
    modalities,
    description: `${modalities[0]} STUDY`,
    bodyPart: null,
    receivedAt: new Date(Date.now() - (opts.receivedMinutesAgo ?? 0) * 60_000),
    dueAt: new Date(Date.now() + (opts.dueInMinutes ?? 60) * 60_000),
  });
  return item;
}

/** What intake does for a new case at an auto-assigning hospital. */
export const enqueueAutoAssign = (queues: QueueService, itemId: string, id = jobId('assign', itemId, 0)) =>
  queues.add('auto-assign', { itemId }, { jobId: id, removeOnComplete: true, removeOnFail: 1000 });

export { sleep, waitFor } from './harness.js';
