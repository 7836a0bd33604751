import { Module } from '@nestjs/common';
import { DicomwebController } from './dicomweb.controller.js';
import { DicomwebRepository } from './dicomweb.repository.js';
import { DicomwebService } from './dicomweb.service.js';

/** DICOMweb read side: QIDO-RS and WADO-RS under /dicomweb (STOW-RS lives in ingest/). */
@Module({ controllers: [DicomwebController], providers: [DicomwebService, DicomwebRepository] })
export class DicomwebModule {}
