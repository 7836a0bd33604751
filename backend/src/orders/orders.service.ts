import { ConflictException, ForbiddenException, Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import type { Principal } from '../common/principal.js';
import { isUniqueViolation } from '../common/prisma-errors.js';
import { TenancyService } from '../tenancy/tenancy.service.js';
import { WorklistIntakeService } from '../worklist/worklist-intake.service.js';
import type { CreateOrderDto } from './orders.controller.js';

@Injectable()
export class OrdersService {
  constructor(
    private readonly tenancy: TenancyService,
    private readonly intake: WorklistIntakeService,
    private readonly audit: AuditService,
  ) {}

  async create(principal: Principal, dto: CreateOrderDto) {
    const hospitalId = principal.hospitalId;
    if (!hospitalId) throw new ForbiddenException('Orders come from a hospital: use a hospital API key or a hospital staff account');
    const db = await this.tenancy.db();
    let order;
    try {
      order = await db.order.create({
        data: {
          hospitalId,
          accessionNumber: dto.accessionNumber,
          studyInstanceUid: dto.studyInstanceUid ?? null,
          priority: dto.priority,
          indication: dto.indication,
          requestedSubspecialty: dto.requestedSubspecialty ?? null,
          createdById: principal.kind === 'USER' ? principal.userId : null,
          apiKeyId: principal.kind === 'API_KEY' ? principal.apiKeyId : null,
        },
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictException(`An order for accession number ${dto.accessionNumber} already exists at this hospital`);
      throw err;
    }
    // The images may already be here: link them and let the order set priority and routing.
    await this.intake.applyOrder(order);
    const linked = await db.order.findUniqueOrThrow({ where: { id: order.id }, include: { study: { select: { patientId: true } } } });
    await this.audit.record({
      action: 'order.create',
      objectType: 'Order',
      objectId: order.id,
      hospitalId,
      patientIds: linked.study ? [linked.study.patientId] : [],
      detail: { accessionNumber: dto.accessionNumber, priority: dto.priority },
    });
    const { study: _study, ...rest } = linked;
    return rest;
  }
}
