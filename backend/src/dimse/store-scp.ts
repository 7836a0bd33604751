import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import dimse from 'dcmjs-dimse';
import { clientAddress } from '../common/request-context.middleware.js';
import { requestContext, type RequestContext } from '../common/request-context.js';
import type { IngestResult } from '../ingest/ingest.service.js';
import { part10Header } from './part10.js';
import { SpoolFile } from './spool-file.js';

const { Dataset, Scp } = dimse;
const { CEchoResponse, CFindResponse, CGetResponse, CMoveResponse, CStoreResponse, NActionResponse, NCreateResponse, NDeleteResponse, NEventReportResponse, NGetResponse, NSetResponse } =
  dimse.responses;
const { PresentationContextResult, RejectReason, RejectResult, RejectSource, SopClass, Status } = dimse.constants;

type Association = InstanceType<typeof dimse.association.Association>;
type PresentationContext = InstanceType<typeof dimse.association.PresentationContext>;
type CStoreRequest = InstanceType<typeof dimse.requests.CStoreRequest>;
type CStoreResponseT = InstanceType<typeof dimse.responses.CStoreResponse>;
type Request = InstanceType<typeof dimse.requests.Request>;

/** Every standard storage SOP class that carries patient images/documents lives under this arc (PS3.4 B.5). */
const STORAGE_SOP_CLASS_ARC = '1.2.840.10008.5.1.4.1.1.';
/** Standard transfer syntaxes (PS3.5 A, PS3.6 A): stored exactly as received; private ones are refused. */
const STANDARD_TRANSFER_SYNTAX = /^1\.2\.840\.10008\.1\.2(\.[0-9]+)*$/;
/** What we advertise as our maximum P-DATA-TF PDU length (bigger PDUs: fewer round trips per instance). */
export const MAX_PDU_LENGTH = 256 * 1024;
/** Refused: SOP Class not supported (PS3.7 C.4.2), for a C-STORE on a presentation context we did not accept. */
const SOP_CLASS_NOT_SUPPORTED = 0x0122;
/** Refused: Out of resources (PS3.4 B.2.3). */
const OUT_OF_RESOURCES = 0xa700;

/** What an association needs from the service that owns the listener. */
export interface AssociationHost {
  /** Our AE title (DICOM_AET). */
  readonly aeTitle: string;
  /** The hospital that registered this calling AE title, or null. */
  findHospitalByAeTitle(callingAeTitle: string): Promise<string | null>;
  /** A fresh temp path on the image store's file system. */
  newIncomingPath(): string;
  /** Hands a complete Part-10 temp file to the ingest core (which then owns it). */
  ingest(hospitalId: string, tmpPath: string, callingAeTitle: string): Promise<IngestResult>;
  /** Records a refused association in the audit trail (runs in the association's request context). */
  auditRejected(rejection: { association: string; callingAeTitle: string; calledAeTitle: string; reason: string }): Promise<void>;
  log: {
    debug(obj: object, msg: string): void;
    log(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
    error(obj: object, msg: string): void;
  };
}

/** A C-STORE whose data set is not written anywhere, with the status it will get. */
interface Refusal {
  status: number;
  comment: string;
}

/**
 * One DICOM association (one TCP connection): C-ECHO and C-STORE SCP.
 *
 * Negotiation: the called AE must be ours and the calling AE must be registered to
 * a hospital (HospitalAeTitle, exact match after trimming), otherwise
 * A-ASSOCIATE-RJ permanent/service-user/(called|calling)-AE-not-recognized.
 * Verification and standard storage SOP classes are accepted with the first
 * standard transfer syntax proposed for them (no transcoding: the platform stores
 * what the modality sent); any other abstract syntax is rejected per context.
 *
 * Each C-STORE data set streams to a temp file (Part-10 header + received bytes),
 * with TCP backpressure when the disk is slower than the network, then goes to the
 * ingest core inside a request context `dimse:<association id>` with the peer's
 * address. Its result becomes the C-STORE status: Success (also for a duplicate),
 * or the ingest failure reason with ErrorComment. A failed instance never ends
 * the association. A connection that goes away (A-ABORT, reset, timeout) leaves no
 * temp file behind.
 */
export class StoreScp extends Scp {
  // Field names must not clash with dcmjs-dimse's own (pending, requests, dimse, association, ...).
  readonly id = randomUUID();
  private readonly context: RequestContext;
  private hospitalId: string | null = null;
  private callingAeTitle = '';
  /** Data sets being received or waiting for ingest, still owned by this association. */
  private readonly spools = new Map<CStoreRequest, SpoolFile>();
  private readonly refusals = new Map<CStoreRequest, Refusal>();
  /** Work whose C-STORE response has not been sent yet (waited for on release and shutdown). */
  private readonly inflight = new Set<Promise<unknown>>();
  private pausedBy: SpoolFile | undefined;
  private stopping = false;
  private closed = false;
  readonly whenClosed: Promise<void>;

  constructor(
    readonly socket: Socket,
    private readonly host: AssociationHost,
  ) {
    super(socket, { associationTimeout: 30_000, pduTimeout: 60_000, connectTimeout: 180_000 });
    // dcmjs-dimse's Server sets this for accepted sockets; its association/PDU timers depend on it.
    (this as unknown as { connected: boolean }).connected = true;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    this.context = { requestId: `dimse:${this.id}`, sourceIp: clientAddress(socket.remoteAddress) };
    // Resolves once the connection is gone and every file it left was deleted.
    this.whenClosed = new Promise((resolve) => socket.once('close', () => void this.onClose().then(resolve)));
    // dcmjs-dimse buffers a whole PDU before looking at it, whatever length its header claims.
    guardPduLength(socket, MAX_PDU_LENGTH, (length) => {
      this.host.log.warn({ association: this.id, sourceIp: this.context.sourceIp, length }, 'DIMSE peer sent a PDU longer than the maximum; connection closed');
      socket.destroy();
    });
    this.on('networkError', (err: Error) => {
      this.host.log.debug({ association: this.id, err: err.message }, 'DIMSE connection error');
      socket.destroy();
    });
  }

  /** Waits for every started C-STORE to be answered. */
  async settle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  /**
   * Shutdown: read nothing more from the peer, answer the C-STOREs whose data set
   * is complete, and leave the rest (a data set still arriving) to onClose().
   */
  async quiesce(): Promise<void> {
    this.stopping = true;
    this.socket.pause();
    await this.settle();
  }

  override associationRequested(association: Association): void {
    this.track(this.negotiate(association));
  }

  private async negotiate(association: Association): Promise<void> {
    const called = association.getCalledAeTitle().trim();
    const calling = association.getCallingAeTitle().trim();
    const who = { association: this.id, callingAeTitle: calling, calledAeTitle: called, sourceIp: this.context.sourceIp };
    if (called !== this.host.aeTitle) {
      this.host.log.warn(who, 'DIMSE association rejected: called AE title is not ours');
      await this.audit(calling, called, 'called AE title not recognized');
      return this.reject(RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.CalledAeNotRecognized);
    }
    let hospitalId: string | null;
    try {
      hospitalId = calling ? await this.host.findHospitalByAeTitle(calling) : null;
    } catch (err) {
      this.host.log.error({ ...who, err }, 'DIMSE association rejected: AE title lookup failed');
      return this.reject(RejectResult.Transient, RejectSource.ServiceProviderPresentation, RejectReason.TemporaryCongestion);
    }
    if (!hospitalId) {
      this.host.log.warn(who, 'DIMSE association rejected: calling AE title is not registered to a hospital');
      await this.audit(calling, called, 'calling AE title not recognized');
      return this.reject(RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.CallingAeNotRecognized);
    }
    if (this.closed) return;
    this.hospitalId = hospitalId;
    this.callingAeTitle = calling;

    for (const { id } of association.getPresentationContexts()) {
      const pc = association.getPresentationContext(id);
      const abstract = pc.getAbstractSyntaxUid();
      if (abstract !== SopClass.Verification && !abstract.startsWith(STORAGE_SOP_CLASS_ARC)) {
        pc.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
        continue;
      }
      const syntax = pc.getTransferSyntaxUids().find((ts) => STANDARD_TRANSFER_SYNTAX.test(ts));
      if (syntax) pc.setResult(PresentationContextResult.Accept, syntax);
      else pc.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
    }
    // We advertise what we can receive; our own PDUs (responses) are tiny, far below any peer's limit.
    association.setMaxPduLength(MAX_PDU_LENGTH);
    this.sendAssociationAccept();
    this.host.log.debug({ ...who, hospitalId }, 'DIMSE association accepted');
  }

  /** A refused association goes into the audit trail (who knocked, from where); never blocks the answer. */
  private async audit(callingAeTitle: string, calledAeTitle: string, reason: string): Promise<void> {
    try {
      await requestContext.run(this.context, () => this.host.auditRejected({ association: this.id, callingAeTitle, calledAeTitle, reason }));
    } catch (err) {
      this.host.log.error({ association: this.id, err }, 'cannot audit a rejected DIMSE association');
    }
  }

  private reject(result: number, source: number, reason: number): void {
    if (this.closed) return;
    this.sendAssociationReject(result, source, reason);
    // The requestor closes on A-ASSOCIATE-RJ; end our side too once the PDU is flushed.
    this.socket.end();
  }

  override associationReleaseRequested(): void {
    // A well-behaved SCU only releases after the last response; answer in order anyway.
    void this.settle().then(() => {
      if (this.closed) return;
      this.sendAssociationReleaseResponse();
      this.socket.end();
    });
  }

  override abort(source: number, reason: number): void {
    this.host.log.debug({ association: this.id, source, reason }, 'DIMSE association aborted by peer');
    // PS3.8 7.3.3: on A-ABORT the transport connection is closed; onClose() cleans up.
    this.socket.destroy();
  }

  override cEchoRequest(request: InstanceType<typeof dimse.requests.CEchoRequest>, callback: (response: InstanceType<typeof dimse.responses.CEchoResponse>) => void): void {
    const response = CEchoResponse.fromRequest(request);
    response.setStatus(Status.Success);
    callback(response);
  }

  override createStoreWritableStream(pc: PresentationContext, request: CStoreRequest): Writable {
    const refuse = (refusal: Refusal) => {
      this.refusals.set(request, refusal);
      return new Writable({ write: (_chunk, _enc, cb) => cb() });
    };
    if (!this.hospitalId || !pc || pc.getResult() !== PresentationContextResult.Accept || pc.getAbstractSyntaxUid() === SopClass.Verification) {
      return refuse({ status: SOP_CLASS_NOT_SUPPORTED, comment: 'No accepted storage presentation context for this C-STORE' });
    }
    try {
      const header = part10Header({
        sopClassUid: request.getAffectedSopClassUid() ?? '',
        sopInstanceUid: request.getAffectedSopInstanceUid() ?? '',
        transferSyntaxUid: pc.getAcceptedTransferSyntaxUid() ?? '',
        sourceAeTitle: this.callingAeTitle,
      });
      const spool = new SpoolFile(this.host.newIncomingPath(), header, (s) => this.pauseFor(s));
      for (const event of ['drain', 'finish', 'close']) spool.on(event, () => this.resumeFrom(spool));
      this.spools.set(request, spool);
      return spool;
    } catch (err) {
      this.host.log.error({ association: this.id, err }, 'cannot spool C-STORE data set');
      return refuse({ status: OUT_OF_RESOURCES, comment: 'The platform could not store the instance; retry later' });
    }
  }

  override createDatasetFromStoreWritableStream(_writable: Writable, _pc: PresentationContext, callback: (dataset: InstanceType<typeof Dataset>) => void): void {
    // The data set stays on disk; the ingest core parses the file. dcmjs-dimse only needs a placeholder.
    callback(new Dataset());
  }

  override cStoreRequest(request: CStoreRequest, callback: (response: CStoreResponseT) => void): void {
    this.track(
      requestContext.run(this.context, () => this.store(request)).then((response) => {
        if (!this.closed) callback(response);
      }),
    );
  }

  private async store(request: CStoreRequest): Promise<CStoreResponseT> {
    const response = CStoreResponse.fromRequest(request);
    const respond = (status: number, comment?: string) => {
      response.setStatus(status);
      if (comment) response.setErrorComment(errorComment(comment));
      return response;
    };
    const refusal = this.refusals.get(request);
    this.refusals.delete(request);
    if (refusal) return respond(refusal.status, refusal.comment);
    const spool = this.spools.get(request);
    if (!spool || !this.hospitalId) return respond(OUT_OF_RESOURCES, 'The platform could not store the instance; retry later');

    const sop = { association: this.id, sopInstanceUid: request.getAffectedSopInstanceUid(), sopClassUid: request.getAffectedSopClassUid() };
    try {
      await spool.done;
    } catch (err) {
      this.spools.delete(request);
      await spool.discard();
      if (this.closed) return respond(OUT_OF_RESOURCES, 'Association closed');
      this.host.log.error({ ...sop, err }, 'writing C-STORE data set to disk failed');
      return respond(OUT_OF_RESOURCES, 'The platform could not store the instance; retry later');
    }
    if (spool.isDiscarded) return respond(OUT_OF_RESOURCES, 'Association closed');
    // From here the ingest core owns the file (moves or deletes it).
    this.spools.delete(request);
    let result: IngestResult;
    try {
      result = await this.host.ingest(this.hospitalId, spool.path, this.callingAeTitle);
    } catch (err) {
      await spool.discard();
      this.host.log.error({ ...sop, err }, 'ingest of a C-STORE failed');
      return respond(OUT_OF_RESOURCES, 'The platform could not store the instance; retry later');
    }
    if (result.ok) {
      this.host.log.debug({ ...sop, duplicate: result.duplicate, studyId: result.studyId }, 'C-STORE stored');
      return respond(Status.Success);
    }
    this.host.log.log({ ...sop, reason: `0x${result.reason.toString(16).toUpperCase()}`, message: result.message }, 'C-STORE refused');
    return respond(result.reason, result.message);
  }

  // Nothing but C-ECHO and C-STORE is negotiated; a request on some other context gets a clean refusal.
  override cFindRequest(request: InstanceType<typeof dimse.requests.CFindRequest>, callback: (r: InstanceType<typeof dimse.responses.CFindResponse>[]) => void): void {
    callback([unsupported(CFindResponse.fromRequest(request))]);
  }
  override cMoveRequest(request: InstanceType<typeof dimse.requests.CMoveRequest>, callback: (r: InstanceType<typeof dimse.responses.CMoveResponse>[]) => void): void {
    callback([unsupported(CMoveResponse.fromRequest(request))]);
  }
  override cGetRequest(request: InstanceType<typeof dimse.requests.CGetRequest>, callback: (r: InstanceType<typeof dimse.responses.CGetResponse>[]) => void): void {
    callback([unsupported(CGetResponse.fromRequest(request))]);
  }
  override nCreateRequest(request: InstanceType<typeof dimse.requests.NCreateRequest>, callback: (r: InstanceType<typeof dimse.responses.NCreateResponse>) => void): void {
    callback(unsupported(NCreateResponse.fromRequest(request)));
  }
  override nActionRequest(request: InstanceType<typeof dimse.requests.NActionRequest>, callback: (r: InstanceType<typeof dimse.responses.NActionResponse>) => void): void {
    callback(unsupported(NActionResponse.fromRequest(request)));
  }
  override nDeleteRequest(request: InstanceType<typeof dimse.requests.NDeleteRequest>, callback: (r: InstanceType<typeof dimse.responses.NDeleteResponse>) => void): void {
    callback(unsupported(NDeleteResponse.fromRequest(request)));
  }
  override nEventReportRequest(
    request: InstanceType<typeof dimse.requests.NEventReportRequest>,
    callback: (r: InstanceType<typeof dimse.responses.NEventReportResponse>) => void,
  ): void {
    callback(unsupported(NEventReportResponse.fromRequest(request)));
  }
  override nGetRequest(request: InstanceType<typeof dimse.requests.NGetRequest>, callback: (r: InstanceType<typeof dimse.responses.NGetResponse>) => void): void {
    callback(unsupported(NGetResponse.fromRequest(request)));
  }
  override nSetRequest(request: InstanceType<typeof dimse.requests.NSetRequest>, callback: (r: InstanceType<typeof dimse.responses.NSetResponse>) => void): void {
    callback(unsupported(NSetResponse.fromRequest(request)));
  }
  override cCancelRequest(_request: Request): void {
    // Nothing cancellable: C-STOREs are answered as soon as they are ingested.
  }

  /** Stop reading from the socket until this spool has flushed what it buffered. */
  private pauseFor(spool: SpoolFile): void {
    if (this.pausedBy || this.closed) return;
    this.pausedBy = spool;
    this.socket.pause();
  }

  private resumeFrom(spool: SpoolFile): void {
    if (this.pausedBy !== spool) return;
    this.pausedBy = undefined;
    if (!this.closed && !this.stopping) this.socket.resume();
  }

  private track(work: Promise<unknown>): void {
    const p = work.catch((err: unknown) => this.host.log.error({ association: this.id, err }, 'DIMSE handler failed'));
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private async onClose(): Promise<void> {
    this.closed = true;
    this.pausedBy = undefined;
    // Whatever was not handed to the ingest core yet (partial or complete) is deleted.
    const spools = [...this.spools.values()];
    this.spools.clear();
    this.refusals.clear();
    await Promise.all(spools.map((spool) => spool.discard().catch((err: unknown) => this.host.log.error({ association: this.id, err, path: spool.path }, 'cannot delete DIMSE temp file'))));
  }
}

/**
 * Follows the PDU framing of the incoming byte stream (6-byte header: type, reserved,
 * 32-bit length) and reports the first PDU that claims more than `max` bytes, before
 * dcmjs-dimse starts buffering it. Runs ahead of dcmjs-dimse's own 'data' listener.
 */
export function guardPduLength(socket: Socket, max: number, onTooLong: (length: number) => void): void {
  let header: Buffer = Buffer.alloc(0);
  let remaining = 0;
  const watch = (chunk: Buffer) => {
    let offset = 0;
    while (offset < chunk.length) {
      if (remaining > 0) {
        const n = Math.min(remaining, chunk.length - offset);
        remaining -= n;
        offset += n;
        continue;
      }
      const take = chunk.subarray(offset, offset + 6 - header.length);
      header = header.length ? Buffer.concat([header, take]) : take;
      offset += take.length;
      if (header.length < 6) return;
      const length = header.readUInt32BE(2);
      header = Buffer.alloc(0);
      if (length > max) {
        socket.off('data', watch);
        onTooLong(length);
        return;
      }
      remaining = length;
    }
  };
  socket.prependListener('data', watch);
}

/** Status "unrecognized operation" for DIMSE services we do not offer. */
function unsupported<T extends { setStatus(status: number): void }>(response: T): T {
  response.setStatus(Status.UnrecognizedOperation);
  return response;
}

/**
 * ErrorComment (0000,0902) is LO in a command set with no Specific Character Set:
 * at most 64 characters of the default repertoire, no backslash or control characters.
 */
export function errorComment(message: string): string {
  const ascii = message
    .normalize('NFKD')
    .replace(/×/g, 'x')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x5b\x5d-\x7e]/g, '?')
    .trim();
  return ascii.length > 64 ? `${ascii.slice(0, 61).trimEnd()}...` : ascii;
}
