import { Module } from '@nestjs/common';
import { NotificationsModule } from '../notifications/notifications.module.js';
import { AssignmentRepository } from './assignment.repository.js';
import { AssignmentService } from './assignment.service.js';
import { ShiftsController } from './shifts.controller.js';
import { ShiftsRepository } from './shifts.repository.js';
import { ShiftsService } from './shifts.service.js';

/**
 * Auto-assignment, claim leases and shifts. Knows nothing of the worklist module (which imports
 * this one to schedule leases and re-offer cases), so there is no import cycle.
 */
@Module({
  imports: [NotificationsModule],
  controllers: [ShiftsController],
  providers: [AssignmentService, AssignmentRepository, ShiftsService, ShiftsRepository],
  exports: [AssignmentService],
})
export class AssignmentModule {}
