import { Module } from '@nestjs/common';
import { EscalationController } from './escalation.controller.js';
import { EscalationRepository } from './escalation.repository.js';
import { EscalationService } from './escalation.service.js';
import { SlaSweepService } from './sla-sweep.service.js';

/** SLA escalation: warnings at 50 % and 80 % of the turnaround time, breaches, and their re-scheduling. */
@Module({
  controllers: [EscalationController],
  providers: [EscalationService, EscalationRepository, SlaSweepService],
})
export class EscalationModule {}
