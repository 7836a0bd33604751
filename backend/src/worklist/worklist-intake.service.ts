import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';
import type { Order } from '../generated/prisma/client.js';
import { autoAssignJob } from '../assignment/assignment.service.js';
import { autoAssigns } from '../assignment/eligibility.js';
import { studyWorkUnits } from '../assignment/work-units.js';
import { QueueService } from '../jobs/queue.service.js';
import { WorklistEvents } from '../realtime/worklist-events.service.js';
import { RoutingService } from '../routing/routing.service.js';
import { slaEscalationJobs, slaMinutes } from './sla.js';

/**
 * Puts complete studies on the worklist and keeps them in step with their orders,
 * whichever of the two arrives first. System code: unscoped client, idempotent.
 */
@Injectable()
export class WorklistIntakeService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly queues: QueueService,
    private readonly events: WorklistEvents,
    private readonly routing: RoutingService,
  ) {}

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
    const route = await this.routing.routeStudy(study, order?.requestedSubspecialty ?? null);
    const [created] = await this.prisma.worklistItem.createManyAndReturn({
      data: [
        {
          hospitalId: study.hospitalId,
          studyId: study.id,
          orderId: order?.id ?? null,
          priority,
          subspecialty: route.subspecialty,
          routingReason: route.reason,
          workUnits: studyWorkUnits(study.modalities),
          receivedAt: study.receivedAt,
          // Turnaround is measured from images received.
          dueAt: new Date(study.receivedAt.getTime() + slaMinutes(study.hospital, priority) * 60_000),
        },
      ],
      skipDuplicates: true,
    });
    if (!created) {
      // Already on the worklist: the first run scheduled everything below. This run follows late
      // instances (or repeats a job): what the list shows of the study (modalities, description)
      // may have changed, so its cached pages go (a mere repeat costs one reload of them).
      const listed = await this.prisma.worklistItem.findUnique({ where: { studyId: study.id }, select: { id: true } });
      if (listed) await this.events.changed([listed.id]);
      return;
    }
    await this.queues.addBulk('sla-escalation', slaEscalationJobs(created));
    if (autoAssigns(study.hospital, created.subspecialty)) {
      const { data, opts } = autoAssignJob(created.id, created.version);
      await this.queues.add('auto-assign', data, opts);
    }
    await this.events.changed([created.id]);
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
    // Without an explicit request the case keeps the routing it got on arrival.
    const route = order.requestedSubspecialty
      ? await this.routing.routeStudy(study, order.requestedSubspecialty)
      : { subspecialty: item.subspecialty, reason: item.routingReason };
    const updated = await this.prisma.worklistItem.update({
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
    await this.queues.addBulk('sla-escalation', slaEscalationJobs(updated));
    await this.events.changed([item.id], new Map([[item.id, { hospitalId: item.hospitalId, subspecialty: item.subspecialty }]]));
  }
}
