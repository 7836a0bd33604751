import { Module } from '@nestjs/common';
import { HospitalsController } from './hospitals.controller.js';
import { HospitalsRepository } from './hospitals.repository.js';
import { HospitalsService } from './hospitals.service.js';

@Module({ controllers: [HospitalsController], providers: [HospitalsService, HospitalsRepository] })
export class HospitalsModule {}
