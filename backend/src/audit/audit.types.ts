import type { AuditOutcome } from '../generated/prisma/enums.js';

/** Audit actions, named object.verb. Extend here so the list stays greppable. */
export type AuditAction =
  | 'auth.login'
  | 'auth.refresh'
  | 'auth.logout'
  | 'study.search'
  | 'study.read'
  | 'worklist.read'
  | 'worklist.item.read'
  | 'worklist.claim'
  | 'worklist.release'
  | 'worklist.next'
  | 'worklist.decline'
  | 'worklist.reassign'
  | 'user.shifts.replace'
  | 'audit.search'
  | 'audit.export'
  | 'user.create'
  | 'hospital.create'
  | 'hospital.update'
  | 'apikey.create'
  | 'archive.create'
  | 'dicomweb.store'
  | 'dicomweb.search'
  | 'dicomweb.retrieve'
  | 'dicomweb.metadata'
  | 'dimse.associate'
  | 'order.create'
  | 'routing.rule.create'
  | 'routing.rule.update'
  | 'routing.rule.delete'
  | 'routing.rules.reset';

export interface AuditEntry {
  action: AuditAction;
  objectType: string;
  objectId?: string | null;
  /** Patients whose data was touched (all in the one event; `GET /api/audit?patientId=` finds it by any). */
  patientIds?: readonly string[];
  /** Or (and) patients stored once for many events: AuditService.patientSet, e.g. per cached page. */
  patientSet?: PatientSetRef | null;
  hospitalId?: string | null;
  outcome?: AuditOutcome;
  detail?: Record<string, unknown>;
}

/** A stored set of patients (AuditPatientSet) that events name by its digest. */
export interface PatientSetRef {
  digest: string;
  size: number;
}
