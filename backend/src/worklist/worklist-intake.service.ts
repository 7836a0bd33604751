import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';
import type { Order, Priority } from '../generated/prisma/client.js';
import { slaMinutes } from './sla.js';
import { routeStudy } from './subspecialty.js';

/**
 * Puts complete studies on the worklist and keeps them in step with their orders,
 * whichever of the two arrives first. System code: unscoped client, idempotent.
 */
@Injectable()
export class WorklistIntakeService {
  constructor(private readonly prisma: PrismaService) {}

  async ensureItem(studyId: string): Promise<void> {
    const study = await this.prisma.study.findUnique({ where: { id: studyId }, include: { hospital: true, patient: true } });
    if (!study || study.status !== 'COMPLETE') return;
    const order = await this.prisma.order.findFirst({
      where: {
        hospitalId: study.hospitalId,
        OR: [
          { studyId: study.id },
          ...(study.accessionNumber ? [{ accessionNumber: study.accessionNumber, studyId: null }] : []),
          { studyInstanceUid: study.studyInstanceUid, studyId: null },
        ],
      },
      orderBy: { createdAt: 'asc' },
    });
    if (order && !order.studyId) await this.prisma.order.updateMany({ where: { id: order.id, studyId: null }, data: { studyId: study.id } });
    const priority = order?.priority ?? study.hospital.defaultPriority;
    const route = routeStudy({
      requested: order?.requestedSubspecialty ?? null,
      modalities: study.modalities,
      bodyPart: study.bodyPart,
      description: study.description,
      patientBirthDate: study.patient.birthDate,
      studyDate: study.studyDate,
    });
    await this.prisma.worklistItem.createMany({
      data: [
        {
          hospitalId: study.hospitalId,
          studyId: study.id,
          orderId: order?.id ?? null,
          priority,
          subspecialty: route.subspecialty,
          routingReason: route.reason,
          receivedAt: study.receivedAt,
          // Turnaround is measured from images received.
          dueAt: new Date(study.receivedAt.getTime() + slaMinutes(study.hospital, priority) * 60_000),
        },
      ],
      skipDuplicates: true,
    });
  }

  /** An order that arrives after its study: link it and let it set priority, due time and routing. */
  async applyOrder(order: Order): Promise<void> {
    const study = await this.prisma.study.findFirst({
      where: {
        hospitalId: order.hospitalId,
        OR: [{ accessionNumber: order.accessionNumber }, ...(order.studyInstanceUid ? [{ studyInstanceUid: order.studyInstanceUid }] : [])],
      },
      include: { hospital: true, patient: true, worklistItem: true },
    });
    if (!study) return;
    await this.prisma.order.update({ where: { id: order.id }, data: { studyId: study.id } });
    const item = study.worklistItem;
    if (!item || item.orderId || item.state === 'FINAL') return;
    const route = order.requestedSubspecialty
      ? { subspecialty: order.requestedSubspecialty, reason: `order requested ${order.requestedSubspecialty.toLowerCase()}` }
      : { subspecialty: item.subspecialty, reason: item.routingReason };
    await this.prisma.worklistItem.update({
      where: { id: item.id },
      data: {
        orderId: order.id,
        priority: order.priority,
        subspecialty: route.subspecialty,
        routingReason: route.reason,
        dueAt: new Date(item.receivedAt.getTime() + slaMinutes(study.hospital, order.priority) * 60_000),
        version: { increment: 1 },
      },
    });
  }
}
