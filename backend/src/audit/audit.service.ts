import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { requestContext } from '../common/request-context.js';
import { principalId } from '../common/principal.js';
import type { Prisma } from '../generated/prisma/client.js';
import { AuditRepository, type AuditEventFields, type AuditEventRow, type AuditQuery } from './audit.repository.js';
import { AuditWriter } from './audit-writer.js';
import type { AuditEntry, PatientSetRef } from './audit.types.js';

@Injectable()
export class AuditService {
  private readonly logger = new Logger(AuditService.name);

  /** Concurrent record() calls share one INSERT (group commit); each still waits for its own commit. */
  private readonly writer: AuditWriter<AuditEventFields>;

  constructor(private readonly repository: AuditRepository) {
    this.writer = new AuditWriter((batch) => this.repository.appendMany(batch));
  }

  /**
   * Appends the event for the current caller. Awaited by callers on purpose:
   * patient data is not returned unless its access was written down.
   */
  async record(entry: AuditEntry): Promise<void> {
    try {
      // Completed in place rather than copied: this runs for every read of patient data.
      const patientIds = entry.patientIds?.length ? [...new Set(entry.patientIds)] : [];
      await this.writer.add(Object.assign(this.event(entry), { patientIds, patientSetDigest: entry.patientSet?.digest ?? null }));
    } catch (err) {
      this.logger.error({ err, action: entry.action }, 'audit write failed');
      throw err;
    }
  }

  /**
   * Stores `patientIds` once for the many events that will name them (record({ patientSet })),
   * e.g. a worklist page cached and read by many readers; null for no patients. Resolves once
   * committed, so an event naming the set never exists without it. The digest is the set's content:
   * every process storing the same patients shares one row.
   */
  async patientSet(patientIds: readonly string[]): Promise<PatientSetRef | null> {
    const ids = [...new Set(patientIds)].sort();
    if (ids.length === 0) return null;
    const digest = createHash('sha256').update(ids.join(',')).digest('base64url');
    await this.repository.putPatientSet(digest, ids);
    return { digest, size: ids.length };
  }

  /**
   * The same event as record(), as SQL for the statement that reads the data itself (a
   * data-modifying CTE): its patients are the distinct "patientId"s of `rows` (a relation of that
   * statement holding exactly the rows returned); `detail.count` is the number of rows. The
   * statement commits the event and the read together, and its result reaches the caller only
   * after that commit, so the guarantee of record() holds with one round trip instead of two (the
   * hot QIDO path).
   */
  inStatement(entry: Omit<AuditEntry, 'patientIds' | 'patientSet'>, rows: Prisma.Sql): Prisma.Sql {
    return this.repository.appendSql(this.event(entry), rows);
  }

  /** The event's fields for the current caller (request, socket event or job context). */
  private event(entry: Omit<AuditEntry, 'patientIds' | 'patientSet'>): Omit<AuditEventFields, 'patientIds'> {
    const ctx = requestContext.current();
    const p = ctx?.principal;
    return {
      actorKind: p ? p.kind : 'ANONYMOUS',
      actorId: p ? principalId(p) : null,
      actorRole: p ? (p.kind === 'USER' ? p.role : 'API_KEY') : null,
      actorName: p ? (p.kind === 'USER' ? p.email : p.name) : null,
      action: entry.action,
      objectType: entry.objectType,
      objectId: entry.objectId ?? null,
      hospitalId: entry.hospitalId ?? (p?.kind === 'API_KEY' ? p.hospitalId : null),
      sourceIp: ctx?.sourceIp ?? null,
      outcome: entry.outcome ?? 'SUCCESS',
      requestId: ctx?.requestId ?? null,
      detail: (entry.detail ?? undefined) as Prisma.InputJsonValue | undefined,
    };
  }

  search(q: AuditQuery) {
    return this.repository.search(q);
  }

  /** IHE/FHIR R4 AuditEvent representation (DICOM audit vocabulary where it fits). */
  toFhir(e: AuditEventRow): Record<string, unknown> {
    const [code, display, action] = fhirEventType(e.action);
    return {
      resourceType: 'AuditEvent',
      id: e.id.toString(),
      type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code, display },
      subtype: [{ system: 'urn:teleread:audit-action', code: e.action }],
      action,
      recorded: e.at.toISOString(),
      outcome: e.outcome === 'SUCCESS' ? '0' : e.outcome === 'DENIED' ? '4' : '8',
      agent: [
        {
          type: { text: e.actorKind },
          who: e.actorId ? { identifier: { system: 'urn:teleread:actor', value: e.actorId }, display: e.actorName ?? undefined } : undefined,
          role: e.actorRole ? [{ text: e.actorRole }] : undefined,
          requestor: true,
          network: e.sourceIp ? { address: e.sourceIp, type: '2' } : undefined,
        },
      ],
      source: { observer: { display: 'Teleread' }, type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4' }] },
      entity: [
        ...e.patientIds.map((id) => ({ what: { reference: `Patient/${id}` }, type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '1' } })),
        ...(e.objectId
          ? [{ what: { identifier: { system: `urn:teleread:${e.objectType}`, value: e.objectId } }, type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2' } }]
          : []),
      ],
      extension: e.requestId ? [{ url: 'urn:teleread:request-id', valueString: e.requestId }] : undefined,
    };
  }
}

/** DICOM audit event type (DCM code, display) and FHIR action (C/R/U/D/E) for our action names. */
function fhirEventType(action: string): [string, string, string] {
  const verb = action.slice(action.lastIndexOf('.') + 1);
  switch (verb) {
    case 'search':
      return ['110112', 'Query', 'E'];
    case 'read':
    case 'retrieve':
    case 'metadata':
      return ['110103', 'DICOM Instances Accessed', 'R'];
    case 'store':
      return ['110104', 'DICOM Instances Transferred', 'C'];
    case 'export':
      return ['110106', 'Export', 'R'];
    case 'login':
    case 'logout':
    case 'refresh':
      return ['110114', 'User Authentication', 'E'];
    default:
      return ['110110', 'Patient Record', verb === 'create' ? 'C' : 'U'];
  }
}
