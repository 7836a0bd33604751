import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentUser, Roles } from '../common/decorators.js';
import type { UserPrincipal } from '../common/principal.js';
import { IdParams } from '../common/schemas.js';
import { HospitalsService } from './hospitals.service.js';
import {
  CreateApiKeySchema,
  CreateArchiveSchema,
  CreateHospitalSchema,
  UpdateHospitalSchema,
  type CreateApiKeyDto,
  type CreateArchiveDto,
  type CreateHospitalDto,
  type UpdateHospitalDto,
} from './hospitals.schemas.js';

@ApiTags('hospitals')
@ApiBearerAuth()
@Controller('api')
export class HospitalsController {
  constructor(private readonly hospitals: HospitalsService) {}

  @Get('hospitals')
  @ApiOperation({ summary: 'Hospitals the caller may see' })
  list() {
    return this.hospitals.list();
  }

  @Get('hospitals/:id')
  @ApiOperation({ summary: 'A hospital with its settings: SLA minutes per priority, default priority, next-case-only, auto-assignment, AE titles' })
  get(@Param({ schema: IdParams }) { id }: { id: string }) {
    return this.hospitals.get(id);
  }

  @Post('hospitals')
  @Roles('ADMIN')
  @ApiOperation({ summary: 'Add a hospital to the network' })
  create(@CurrentUser() admin: UserPrincipal, @Body({ schema: CreateHospitalSchema }) dto: CreateHospitalDto) {
    return this.hospitals.create(admin, dto);
  }

  @Patch('hospitals/:id')
  @Roles('ADMIN')
  @ApiOperation({
    summary: "Change a hospital's settings",
    description:
      'Any of name, timezone, SLA minutes per priority, defaultPriority, requireNextCase, autoAssign, autoAssignSubspecialties (empty = all) ' +
      'and aeTitles (replaces the set; 409 names a title another hospital holds). New SLA targets apply to cases that arrive afterwards; ' +
      'open cases keep their due times. Turning autoAssign on, or widening autoAssignSubspecialties, offers the waiting (unread) cases ' +
      'it now covers to auto-assignment, once per case however often it is sent.',
  })
  update(@CurrentUser() admin: UserPrincipal, @Param({ schema: IdParams }) { id }: { id: string }, @Body({ schema: UpdateHospitalSchema }) dto: UpdateHospitalDto) {
    return this.hospitals.update(admin, id, dto);
  }

  @Post('hospitals/:id/api-keys')
  @Roles('ADMIN')
  @ApiOperation({ summary: 'Issue an API key for the hospital (shown once)' })
  createApiKey(@Param({ schema: IdParams }) { id }: { id: string }, @Body({ schema: CreateApiKeySchema }) dto: CreateApiKeyDto) {
    return this.hospitals.createApiKey(id, dto);
  }

  @Post('hospitals/:id/archives')
  @Roles('ADMIN')
  @ApiOperation({ summary: "Register a hospital's DICOMweb archive for the platform to pull from" })
  createArchive(@Param({ schema: IdParams }) { id }: { id: string }, @Body({ schema: CreateArchiveSchema }) dto: CreateArchiveDto) {
    return this.hospitals.createArchive(id, dto);
  }

  @Get('archives')
  @Roles('ADMIN')
  listArchives(@Query({ schema: z.strictObject({ hospitalId: z.string().optional() }) }) q: { hospitalId?: string }) {
    return this.hospitals.listArchives(q.hospitalId);
  }

  @Get('archives/:id')
  @Roles('ADMIN')
  @ApiOperation({ summary: 'Archive sync status: status, lastSyncAt, studiesSeen, lastError' })
  getArchive(@Param({ schema: IdParams }) { id }: { id: string }) {
    return this.hospitals.getArchive(id);
  }
}
