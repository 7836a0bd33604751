// Shapes of the Teleread API as the web app uses them (see shared/API.md).

export type Role = 'ADMIN' | 'RADIOLOGIST' | 'HOSPITAL_STAFF' | 'SPECIALIST';
export const ROLES: readonly Role[] = ['ADMIN', 'RADIOLOGIST', 'HOSPITAL_STAFF', 'SPECIALIST'];

// The worklist's wire types are the backend's own contract (type-only, nothing bundled).
import type { Priority, Subspecialty, WorklistState } from '@contracts/worklist';
export type {
  ClaimSource,
  NotificationView,
  Priority,
  SlaLevel,
  Subspecialty,
  WorklistChange,
  WorklistClientToServer,
  WorklistItemView,
  WorklistPage,
  WorklistServerToClient,
  WorklistState,
} from '@contracts/worklist';

export interface Page<T> {
  items: T[];
  total: number;
}

/** Error body of the API (NestJS style). */
export interface ApiErrorBody {
  statusCode?: number;
  message?: string | string[];
  error?: string;
}

export interface LoginUser {
  id: string;
  email: string;
  role: Role;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

export interface LoginResponse extends TokenPair {
  user: LoginUser;
}

export interface Me {
  id: string;
  email: string;
  role: Role;
  displayName: string | null;
  hospitalId: string | null;
  hospitalName: string | null;
}

export interface Study {
  id: string;
  studyInstanceUid: string;
  accessionNumber: string | null;
  hospitalId: string;
  hospitalName?: string | null;
  patientName: string | null;
  patientMrn: string | null;
  /** DICOM DA: YYYYMMDD */
  studyDate: string | null;
  description: string | null;
  modalities: string[];
  numSeries: number;
  numInstances: number;
  status: string;
  receivedAt: string;
  priority?: Priority | null;
  state?: WorklistState | null;
}

export interface Series {
  seriesInstanceUid: string;
  modality: string | null;
  seriesNumber: number | null;
  description: string | null;
  numInstances: number;
}

export interface StudyDetail extends Study {
  series: Series[];
}

export interface Hospital {
  id: string;
  name: string;
  jurisdiction: string;
  timezone: string;
  aeTitles: string[];
  slaStatMinutes: number;
  slaUrgentMinutes: number;
  slaRoutineMinutes: number;
  /** Priority of studies that arrive without an order. */
  defaultPriority: Priority;
  /** Readers take this hospital's cases only through "Next case". */
  requireNextCase: boolean;
  autoAssign: boolean;
  /** With autoAssign: only cases routed to these (empty = all). */
  autoAssignSubspecialties: Subspecialty[];
}

/** PATCH /api/hospitals/:id body: any of these. */
export type UpdateHospital = Partial<Omit<Hospital, 'id' | 'jurisdiction'>>;

/** A radiologist's duty period (GET|PUT /api/users/:id/shifts). */
export interface Shift {
  startsAt: string;
  endsAt: string;
}

export interface CreateHospital {
  name: string;
  jurisdiction: string;
  timezone: string;
  aeTitles?: string[];
}

export interface License {
  jurisdiction: string;
  expiresAt: string;
}

export interface Privilege {
  hospitalId: string;
  expiresAt: string;
}

export interface User {
  id: string;
  email: string;
  displayName: string | null;
  role: Role;
  hospitalId: string | null;
  subspecialties: string[];
  licenses: License[];
  privileges: Privilege[];
}

export interface CreateUser {
  email: string;
  password: string;
  displayName: string;
  role: Role;
  hospitalId?: string;
  subspecialties?: string[];
}

export interface AuditEvent {
  id: string;
  at: string;
  actorKind: string;
  actorId: string | null;
  actorRole: string | null;
  actorName: string | null;
  action: string;
  objectType: string | null;
  objectId: string | null;
  /** Every patient whose data the access touched. */
  patientIds: string[];
  hospitalId: string | null;
  sourceIp: string | null;
  outcome: string;
  requestId: string | null;
}

/** Every subspecialty: `label` for forms, `short` for dense tables and filters. */
export const SUBSPECIALTIES: readonly { value: Subspecialty; label: string; short: string }[] = [
  { value: 'NEURO', label: 'Neuro', short: 'Neuro' },
  { value: 'MSK', label: 'Musculoskeletal (MSK)', short: 'MSK' },
  { value: 'CHEST', label: 'Chest', short: 'Chest' },
  { value: 'BODY', label: 'Body (abdomen / pelvis)', short: 'Body' },
  { value: 'BREAST', label: 'Breast', short: 'Breast' },
  { value: 'CARDIAC', label: 'Cardiac', short: 'Cardiac' },
  { value: 'PEDIATRIC', label: 'Pediatric', short: 'Pediatric' },
  { value: 'NUCLEAR', label: 'Nuclear medicine', short: 'Nuclear' },
  { value: 'INTERVENTIONAL', label: 'Interventional', short: 'Interventional' },
  { value: 'GENERAL', label: 'General', short: 'General' },
];

/** POST /api/orders body. */
export interface CreateOrder {
  /** DICOM SH: at most 16 characters. */
  accessionNumber: string;
  studyInstanceUid?: string;
  priority: Priority;
  indication: string;
  requestedSubspecialty?: Subspecialty;
}

export interface Order {
  id: string;
  hospitalId: string;
  accessionNumber: string;
  studyInstanceUid: string | null;
  priority: Priority;
  indication: string;
  requestedSubspecialty: string | null;
  studyId: string | null;
  createdAt: string;
}

export interface AuditQuery {
  action?: string;
  actorId?: string;
  patientId?: string;
}
