// Shapes of the Teleread API as the web app uses them (see shared/API.md).

export type Role = 'ADMIN' | 'RADIOLOGIST' | 'HOSPITAL_STAFF' | 'SPECIALIST';
export const ROLES: readonly Role[] = ['ADMIN', 'RADIOLOGIST', 'HOSPITAL_STAFF', 'SPECIALIST'];

export type Priority = 'STAT' | 'URGENT' | 'ROUTINE';
export type WorklistState = 'UNREAD' | 'CLAIMED' | 'PRELIMINARY' | 'FINAL';

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

export interface WorklistItem {
  id: string;
  studyInstanceUid: string;
  accessionNumber: string | null;
  hospitalId: string;
  hospitalName?: string | null;
  patientName?: string | null;
  patientMrn?: string | null;
  modality: string | null;
  description?: string | null;
  priority: Priority;
  subspecialty: string | null;
  receivedAt: string;
  dueAt: string;
  state: WorklistState;
  claimedBy: string | null;
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
  patientId: string | null;
  hospitalId: string | null;
  sourceIp: string | null;
  outcome: string;
  requestId: string | null;
}

/** Subspecialties an order may request (the API takes them in any case). */
export const SUBSPECIALTIES = [
  { value: 'neuro', label: 'Neuro' },
  { value: 'msk', label: 'Musculoskeletal (MSK)' },
  { value: 'chest', label: 'Chest' },
  { value: 'body', label: 'Body (abdomen / pelvis)' },
  { value: 'breast', label: 'Breast' },
  { value: 'cardiac', label: 'Cardiac' },
  { value: 'pediatric', label: 'Pediatric' },
  { value: 'nuclear', label: 'Nuclear medicine' },
  { value: 'interventional', label: 'Interventional' },
  { value: 'general', label: 'General' },
] as const;
export type Subspecialty = (typeof SUBSPECIALTIES)[number]['value'];

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
