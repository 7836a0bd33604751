import { type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import { AssignmentModule } from '../assignment/assignment.module.js';
import { RoutingModule } from '../routing/routing.module.js';
import { WorklistCache } from './worklist-cache.js';
import { WorklistController } from './worklist.controller.js';
import { WorklistIntakeService } from './worklist-intake.service.js';
import { WorklistReadMiddleware } from './worklist-read.middleware.js';
import { WorklistRepository } from './worklist.repository.js';
import { WorklistService } from './worklist.service.js';

@Module({
  imports: [RoutingModule, AssignmentModule],
  controllers: [WorklistController],
  providers: [WorklistService, WorklistRepository, WorklistIntakeService, WorklistCache],
  exports: [WorklistIntakeService],
})
export class WorklistModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // The fast path of GET /api/worklist (see WorklistReadMiddleware).
    consumer.apply(WorklistReadMiddleware).forRoutes({ path: 'api/worklist', method: RequestMethod.GET });
  }
}
