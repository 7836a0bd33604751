import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Roles } from '../common/decorators.js';
import { IsoDate, Paging } from '../common/schemas.js';
import { AuditService } from './audit.service.js';

const AuditQuerySchema = z.strictObject({
  ...Paging,
  actorId: z.string().optional(),
  patientId: z.uuid().optional(),
  hospitalId: z.uuid().optional(),
  action: z.string().max(64).optional(),
  outcome: z.enum(['SUCCESS', 'DENIED', 'FAILURE']).optional(),
  from: IsoDate.optional(),
  to: IsoDate.optional(),
});
type AuditQueryDto = z.infer<typeof AuditQuerySchema>;

@ApiTags('audit')
@ApiBearerAuth()
@Roles('ADMIN')
@Controller('api/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({ summary: 'Search the audit trail (admins)' })
  async search(@Query({ schema: AuditQuerySchema }) q: AuditQueryDto) {
    const { items, total } = await this.audit.search(q);
    await this.audit.record({ action: 'audit.search', objectType: 'AuditEvent', detail: { filters: { ...q } } });
    return { items: items.map((e) => ({ ...e, id: e.id.toString() })), total };
  }

  @Get('fhir')
  @ApiOperation({ summary: 'The same search as a FHIR R4 Bundle of AuditEvent resources' })
  async exportFhir(@Query({ schema: AuditQuerySchema }) q: AuditQueryDto) {
    const { items, total } = await this.audit.search(q);
    await this.audit.record({ action: 'audit.export', objectType: 'AuditEvent', detail: { filters: { ...q }, count: items.length } });
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      total,
      entry: items.map((e) => ({ fullUrl: `urn:teleread:audit:${e.id}`, resource: this.audit.toFhir(e) })),
    };
  }
}
