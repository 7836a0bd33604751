import { Global, Module } from '@nestjs/common';
import { WorklistModule } from '../worklist/worklist.module.js';
import { IngestRepository } from './ingest.repository.js';
import { IngestService } from './ingest.service.js';
import { StowController } from './stow.controller.js';
import { StowService } from './stow.service.js';

@Global()
@Module({
  imports: [WorklistModule],
  controllers: [StowController],
  providers: [IngestService, IngestRepository, StowService],
  exports: [IngestService],
})
export class IngestModule {}
