import { Module } from '@nestjs/common';
import { AssignmentModule } from '../assignment/assignment.module.js';
import { RoutingModule } from '../routing/routing.module.js';
import { WorklistCache } from './worklist-cache.js';
import { WorklistController } from './worklist.controller.js';
import { WorklistIntakeService } from './worklist-intake.service.js';
import { WorklistReadFastPath } from './worklist-read.fast-path.js';
import { WorklistRepository } from './worklist.repository.js';
import { WorklistService } from './worklist.service.js';

@Module({
  imports: [RoutingModule, AssignmentModule],
  controllers: [WorklistController],
  providers: [WorklistService, WorklistRepository, WorklistIntakeService, WorklistCache, WorklistReadFastPath],
  // WorklistReadFastPath: mounted on the HTTP server by configureApp.
  exports: [WorklistIntakeService, WorklistReadFastPath],
})
export class WorklistModule {}
