import { Global, Module } from '@nestjs/common';
import { JobSweepService } from './job-sweep.service.js';
import { QueueService } from './queue.service.js';

@Global()
@Module({ providers: [QueueService, JobSweepService], exports: [QueueService, JobSweepService] })
export class JobsModule {}
