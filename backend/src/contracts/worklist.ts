/**
 * The worklist's wire contract: REST shapes and socket.io events, shared with the web app.
 * Types only and no imports, so the frontend can `import type` it without server code.
 */

export type Priority = 'STAT' | 'URGENT' | 'ROUTINE';
export type Subspecialty =
  | 'NEURO'
  | 'MSK'
  | 'CHEST'
  | 'BODY'
  | 'BREAST'
  | 'CARDIAC'
  | 'PEDIATRIC'
  | 'NUCLEAR'
  | 'INTERVENTIONAL'
  | 'GENERAL';
export type WorklistState = 'UNREAD' | 'CLAIMED' | 'PRELIMINARY' | 'FINAL';
/** How the current reader got the case. */
export type ClaimSource = 'CLAIM' | 'NEXT' | 'AUTO' | 'REASSIGN';
export type SlaLevel = 'WARN_50' | 'WARN_80' | 'BREACH';

/** One case as `GET /api/worklist` and `GET /api/worklist/:id` return it. */
export interface WorklistItemView {
  id: string;
  studyInstanceUid: string;
  accessionNumber: string | null;
  hospitalId: string;
  hospitalName: string;
  patientName: string | null;
  patientMrn: string;
  modality: string | null;
  modalities: string[];
  description: string | null;
  bodyPart: string | null;
  indication: string | null;
  priority: Priority;
  subspecialty: Subspecialty;
  /** Which routing rule chose the subspecialty, in words. */
  routingReason: string | null;
  receivedAt: string;
  dueAt: string;
  state: WorklistState;
  claimedBy: string | null;
  claimedByName: string | null;
  claimSource: ClaimSource | null;
  leaseExpiresAt: string | null;
  breachedAt: string | null;
  reportStatus: 'DRAFT' | 'PRELIMINARY' | 'FINAL' | null;
  version: number;
}

export interface WorklistPage {
  items: WorklistItemView[];
  total: number;
}

/**
 * What changed about a case, without patient data: enough to patch a row in place.
 * A client that does not hold the row yet refetches the list (which is audited).
 */
export interface WorklistChange {
  id: string;
  version: number;
  hospitalId: string;
  subspecialty: Subspecialty;
  priority: Priority;
  state: WorklistState;
  dueAt: string;
  claimedBy: string | null;
  claimedByName: string | null;
  claimSource: ClaimSource | null;
  leaseExpiresAt: string | null;
  breachedAt: string | null;
}

export interface NotificationView {
  id: string;
  kind: 'SLA_WARN_50' | 'SLA_WARN_80' | 'SLA_BREACH' | 'ASSIGNED' | 'UNASSIGNED';
  title: string;
  body: string;
  worklistItemId: string | null;
  createdAt: string;
  readAt: string | null;
}

/** One fired SLA warning or breach, as `GET /api/worklist/escalations` lists it for admins (no patient data). */
export interface SlaEscalationView {
  id: string;
  worklistItemId: string;
  level: SlaLevel;
  /** The due time it fired for (a re-prioritised case has escalations for each due time). */
  dueAt: string;
  firedAt: string;
  hospitalId: string;
  hospitalName: string;
  priority: Priority;
  modality: string | null;
  state: WorklistState;
  notifiedUserIds: string[];
}

/** socket.io namespace of the live worklist; the access token goes in `handshake.auth.token`. */
export type WorklistNamespace = '/worklist';

export interface WorklistServerToClient {
  /** A case you may see was created or changed (FINAL: drop it from the list). */
  'worklist:changed': (change: WorklistChange) => void;
  /** A case left your list for a reason other than being read (re-routed, moved out of your scope). */
  'worklist:removed': (e: { id: string; version: number }) => void;
  /** A message for you (SLA warning, assignment). */
  notification: (n: NotificationView) => void;
}

export interface WorklistClientToServer {
  /** Re-evaluate which cases this socket follows (after credentials changed); ack with the count of rooms. */
  'worklist:resubscribe': (ack: (e: { rooms: number } | { error: string }) => void) => void;
}
