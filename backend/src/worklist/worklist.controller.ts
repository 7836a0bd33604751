import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentUser, Roles } from '../common/decorators.js';
import type { UserPrincipal } from '../common/principal.js';
import { IdParams, Paging } from '../common/schemas.js';
import { WorklistService } from './worklist.service.js';

const WorklistQuery = z.strictObject({ ...Paging });

@ApiTags('worklist')
@ApiBearerAuth()
@Roles('RADIOLOGIST', 'ADMIN')
@Controller('api/worklist')
export class WorklistController {
  constructor(private readonly worklist: WorklistService) {}

  @Get()
  @ApiOperation({ summary: "The caller's eligible open cases, most urgent first" })
  list(@CurrentUser() user: UserPrincipal, @Query({ schema: WorklistQuery }) q: z.infer<typeof WorklistQuery>) {
    return this.worklist.list(user, q.limit, q.offset);
  }

  @Get(':id')
  get(@Param({ schema: IdParams }) { id }: { id: string }) {
    return this.worklist.get(id);
  }
}
