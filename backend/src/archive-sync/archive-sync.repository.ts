import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';

/**
 * Archive rows and the local side of a sync. System code (a job, not a caller's
 * request), so it uses the unscoped client.
 */
@Injectable()
export class ArchiveSyncRepository {
  constructor(private readonly prisma: PrismaService) {}

  findArchive(id: string) {
    return this.prisma.archive.findUnique({
      where: { id },
      select: { id: true, hospitalId: true, dicomwebUrl: true, authType: true, authSecret: true, status: true, cursor: true, lastSuccessAt: true, studiesSeen: true },
    });
  }

  activeArchiveIds() {
    return this.prisma.archive.findMany({ where: { status: { not: 'DISABLED' } }, select: { id: true } }).then((rows) => rows.map((r) => r.id));
  }

  /** What the platform holds of a study (any status), per series. */
  async localStudy(hospitalId: string, studyInstanceUid: string) {
    return this.prisma.study.findUnique({
      where: { hospitalId_studyInstanceUid: { hospitalId, studyInstanceUid } },
      select: { id: true, numInstances: true, series: { select: { seriesInstanceUid: true, numInstances: true } } },
    });
  }

  /**
   * The archive has this study: a study that first arrived another way (pushed by the
   * archive itself) counts as seen from it too. studiesSeen = studies attributed to it.
   */
  async attribute(archiveId: string, hospitalId: string, studyInstanceUid: string): Promise<boolean> {
    const { count } = await this.prisma.study.updateMany({ where: { hospitalId, studyInstanceUid, sourceArchiveId: null }, data: { sourceArchiveId: archiveId } });
    return count > 0;
  }

  /** Studies attributed to the archive (its hospital's only, so the hospital's index narrows the scan). */
  countAttributed(archiveId: string, hospitalId: string) {
    return this.prisma.study.count({ where: { hospitalId, sourceArchiveId: archiveId } });
  }

  setStatusSyncing(id: string) {
    return this.prisma.archive.updateMany({ where: { id, status: { in: ['PENDING', 'OK', 'ERROR'] } }, data: { status: 'SYNCING' } });
  }

  saveCursor(id: string, cursor: string | null, studiesSeen: number) {
    return this.prisma.archive.updateMany({ where: { id }, data: { cursor, studiesSeen } });
  }

  recordSuccess(id: string, data: { startedAt: Date; cursor: string | null; studiesSeen: number; warning: string | null }) {
    return this.prisma.archive.updateMany({
      where: { id, status: { not: 'DISABLED' } },
      data: { status: 'OK', lastSyncAt: new Date(), lastSuccessAt: data.startedAt, lastError: data.warning, cursor: data.cursor, studiesSeen: data.studiesSeen },
    });
  }

  recordFailure(id: string, message: string) {
    return this.prisma.archive.updateMany({
      where: { id, status: { not: 'DISABLED' } },
      data: { status: 'ERROR', lastSyncAt: new Date(), lastError: message.slice(0, 2000) },
    });
  }
}
