import { Module } from '@nestjs/common';
import { EscalationController } from './escalation.controller.js';
import { EscalationRepository } from './escalation.repository.js';
import { EscalationService } from './escalation.service.js';

/** SLA escalation: warnings at 50 % and 80 % of the turnaround time, breaches, and their re-scheduling (through the job sweep). */
@Module({
  controllers: [EscalationController],
  providers: [EscalationService, EscalationRepository],
})
export class EscalationModule {}
