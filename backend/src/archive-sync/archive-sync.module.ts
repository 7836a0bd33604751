import { Global, Module } from '@nestjs/common';
import { ArchiveSyncRepository } from './archive-sync.repository.js';
import { ArchiveSyncScheduler } from './archive-sync.scheduler.js';
import { ArchiveSyncService } from './archive-sync.service.js';

/** Incremental pull from hospital archives. Global so archive registration can schedule a sync. */
@Global()
@Module({
  providers: [ArchiveSyncRepository, ArchiveSyncService, ArchiveSyncScheduler],
  exports: [ArchiveSyncScheduler],
})
export class ArchiveSyncModule {}
