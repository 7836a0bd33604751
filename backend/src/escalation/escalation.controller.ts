import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Roles } from '../common/decorators.js';
import { IsoDate } from '../common/schemas.js';
import type { SlaEscalationView } from '../contracts/worklist.js';
import { EscalationService } from './escalation.service.js';

const DAY_MS = 24 * 3600 * 1000;

const EscalationsQuery = z.strictObject({
  /** Fired at or after this time; default the last 24 hours. */
  since: IsoDate.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/**
 * Admins' view of recent SLA warnings and breaches in their network's hospitals. Lists case ids,
 * levels and times, no patient data; the case itself is opened (and audited) through /api/worklist/:id.
 * Registered before the worklist module so this path is not taken for a case id.
 */
@ApiTags('worklist')
@ApiBearerAuth()
@Roles('ADMIN')
@Controller('api/worklist/escalations')
export class EscalationController {
  constructor(private readonly escalations: EscalationService) {}

  @Get()
  @ApiOperation({ summary: 'Recent SLA warnings and breaches in your hospitals, newest first (admins)' })
  async list(@Query({ schema: EscalationsQuery }) q: z.infer<typeof EscalationsQuery>): Promise<{ items: SlaEscalationView[] }> {
    return { items: await this.escalations.recent(q.since ?? new Date(Date.now() - DAY_MS), q.limit) };
  }
}
