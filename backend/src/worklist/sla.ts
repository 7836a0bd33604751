import type { Priority } from '../generated/prisma/enums.js';

/** The hospital's turnaround target for a priority, in minutes. */
export const slaMinutes = (h: { slaStatMinutes: number; slaUrgentMinutes: number; slaRoutineMinutes: number }, p: Priority) =>
  p === 'STAT' ? h.slaStatMinutes : p === 'URGENT' ? h.slaUrgentMinutes : h.slaRoutineMinutes;
