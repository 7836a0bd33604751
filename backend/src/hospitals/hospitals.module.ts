import { Module } from '@nestjs/common';
import { AssignmentModule } from '../assignment/assignment.module.js';
import { HospitalsController } from './hospitals.controller.js';
import { HospitalsRepository } from './hospitals.repository.js';
import { HospitalsService } from './hospitals.service.js';

@Module({ imports: [AssignmentModule], controllers: [HospitalsController], providers: [HospitalsService, HospitalsRepository] })
export class HospitalsModule {}
