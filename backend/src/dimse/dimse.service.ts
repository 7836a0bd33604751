import net, { type AddressInfo } from 'node:net';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import dimse from 'dcmjs-dimse';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { PrismaService } from '../database/prisma.service.js';
import { AuditService } from '../audit/audit.service.js';
import { IngestService, type IngestResult } from '../ingest/ingest.service.js';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './part10.js';
import { MAX_PDU_LENGTH, StoreScp, type AssociationHost } from './store-scp.js';

/** How long shutdown waits for C-STOREs in progress before cutting the connections. */
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * The DIMSE listener: C-ECHO and C-STORE SCP on DICOM_PORT (all interfaces) with
 * AE title DICOM_AET, started at application bootstrap and stopped on shutdown.
 * DICOM_PORT=0 listens on a free port chosen by the OS; `port` tells which.
 * Associations are handled by StoreScp (one per connection, any number at once);
 * ingest calls are bounded by DB_POOL_SIZE so a burst of associations queues on
 * disk (spooled files) instead of exhausting database connections and memory.
 */
@Injectable()
export class DimseService implements AssociationHost, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Dimse');
  private server: net.Server | undefined;
  private readonly associations = new Set<StoreScp>();
  private readonly ingestSlots: Semaphore;
  readonly aeTitle: string;
  readonly log: AssociationHost['log'];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly ingestService: IngestService,
    private readonly audit: AuditService,
  ) {
    this.aeTitle = config.DICOM_AET.trim();
    this.ingestSlots = new Semaphore(Math.max(2, config.DB_POOL_SIZE));
    const logger = this.logger;
    this.log = {
      debug: (obj, msg) => logger.debug(obj, msg),
      log: (obj, msg) => logger.log(obj, msg),
      warn: (obj, msg) => logger.warn(obj, msg),
      error: (obj, msg) => logger.error(obj, msg),
    };
  }

  /** The TCP port the SCP listens on (the OS-chosen one when DICOM_PORT=0); undefined when stopped. */
  get port(): number | undefined {
    const address = this.server?.address();
    return address && typeof address === 'object' ? (address as AddressInfo).port : undefined;
  }

  /** Open associations right now. */
  get associationCount(): number {
    return this.associations.size;
  }

  async onApplicationBootstrap(): Promise<void> {
    // dcmjs-dimse logs every PDU at INFO on the console; keep it quiet unless tracing.
    dimse.log.setLevel(this.config.LOG_LEVEL === 'trace' ? 'info' : 'silent');
    dimse.Implementation.setImplementationClassUid(IMPLEMENTATION_CLASS_UID);
    dimse.Implementation.setImplementationVersion(IMPLEMENTATION_VERSION_NAME);
    dimse.Implementation.setMaxPduLength(MAX_PDU_LENGTH);

    const server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.DICOM_PORT, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.logger.error({ err }, 'DIMSE listener error'));
    this.server = server;
    this.logger.log(`DIMSE SCP ${this.aeTitle} listening on port ${this.port}`);
  }

  async onModuleDestroy(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Answer the C-STOREs whose data set is complete, read nothing new, then cut the connections.
    const grace = new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref());
    await Promise.race([Promise.all([...this.associations].map((a) => a.quiesce())), grace]);
    for (const association of this.associations) association.socket.destroy();
    await Promise.all([...this.associations].map((a) => a.whenClosed));
    await closed;
  }

  async findHospitalByAeTitle(callingAeTitle: string): Promise<string | null> {
    const row = await this.prisma.hospitalAeTitle.findUnique({ where: { aeTitle: callingAeTitle.trim() }, select: { hospitalId: true } });
    return row?.hospitalId ?? null;
  }

  newIncomingPath(): string {
    return this.ingestService.newIncomingPath();
  }

  ingest(hospitalId: string, tmpPath: string, callingAeTitle: string): Promise<IngestResult> {
    return this.ingestSlots.run(() => this.ingestService.ingestFile(hospitalId, tmpPath, { kind: 'DIMSE', callingAeTitle }));
  }

  auditRejected(rejection: { association: string; callingAeTitle: string; calledAeTitle: string; reason: string }): Promise<void> {
    return this.audit.record({
      action: 'dimse.associate',
      objectType: 'Association',
      objectId: rejection.callingAeTitle || null,
      outcome: 'DENIED',
      detail: rejection,
    });
  }

  private accept(socket: net.Socket): void {
    if (!this.server) {
      socket.destroy();
      return;
    }
    try {
      const association = new StoreScp(socket, this);
      this.associations.add(association);
      void association.whenClosed.then(() => this.associations.delete(association));
    } catch (err) {
      this.logger.error({ err }, 'cannot serve DIMSE connection');
      socket.destroy();
    }
  }
}

/** At most `limit` concurrent runs; the rest wait in arrival order. */
class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
