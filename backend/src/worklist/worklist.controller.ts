import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
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

  @Post(':id/claim')
  @HttpCode(200)
  @ApiOperation({ summary: 'Take the case: 200 for exactly one reader, 409 for everyone else while the claim holds' })
  claim(@CurrentUser() user: UserPrincipal, @Param({ schema: IdParams }) { id }: { id: string }) {
    return this.worklist.claim(user, id);
  }

  @Post(':id/release')
  @HttpCode(200)
  @ApiOperation({ summary: 'Give the case back to the list (its reader, or an admin)' })
  release(@CurrentUser() user: UserPrincipal, @Param({ schema: IdParams }) { id }: { id: string }) {
    return this.worklist.release(user, id);
  }
}
