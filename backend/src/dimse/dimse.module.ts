import { Module } from '@nestjs/common';
import { DimseService } from './dimse.service.js';

/** DICOM DIMSE: C-ECHO and C-STORE SCP on DICOM_PORT (see DimseService). Ingest comes from the global IngestModule. */
@Module({ providers: [DimseService], exports: [DimseService] })
export class DimseModule {}
