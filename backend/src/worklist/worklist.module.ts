import { Module } from '@nestjs/common';
import { WorklistController } from './worklist.controller.js';
import { WorklistIntakeService } from './worklist-intake.service.js';
import { WorklistRepository } from './worklist.repository.js';
import { WorklistService } from './worklist.service.js';

@Module({
  controllers: [WorklistController],
  providers: [WorklistService, WorklistRepository, WorklistIntakeService],
  exports: [WorklistIntakeService],
})
export class WorklistModule {}
