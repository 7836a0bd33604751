import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
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
  type CreateApiKeyDto,
  type CreateArchiveDto,
  type CreateHospitalDto,
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
  get(@Param({ schema: IdParams }) { id }: { id: string }) {
    return this.hospitals.get(id);
  }

  @Post('hospitals')
  @Roles('ADMIN')
  @ApiOperation({ summary: 'Add a hospital to the network' })
  create(@CurrentUser() admin: UserPrincipal, @Body({ schema: CreateHospitalSchema }) dto: CreateHospitalDto) {
    return this.hospitals.create(admin, dto);
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
