import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { CurrentUser, Roles } from '../common/decorators.js';
import type { UserPrincipal } from '../common/principal.js';
import { IdParams } from '../common/schemas.js';
import { sendWorklistPage } from './worklist-cache.js';
import { listArguments, WorklistQuery } from './worklist-query.js';
import { WorklistService } from './worklist.service.js';

const ReassignBody = z.strictObject({ userId: z.uuid({ error: 'must be a UUID' }) });

@ApiTags('worklist')
@ApiBearerAuth()
@Roles('RADIOLOGIST', 'ADMIN')
@Controller('api/worklist')
export class WorklistController {
  constructor(private readonly worklist: WorklistService) {}

  @Get()
  @ApiOperation({ summary: "The caller's eligible cases, filtered; most urgent first unless sorted otherwise" })
  async list(
    @CurrentUser() user: UserPrincipal,
    @Query({ schema: WorklistQuery }) q: WorklistQuery,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    // Sent as serialized (and compressed) once for everyone with this eligibility.
    sendWorklistPage(req, res, await this.worklist.list(user, ...listArguments(q)));
  }

  @Post('next')
  @Roles('RADIOLOGIST')
  @ApiOperation({ summary: 'Claim the most urgent open case you may read: 200 with the case, 204 when none is waiting' })
  async next(@CurrentUser() user: UserPrincipal, @Res({ passthrough: true }) res: Response) {
    const item = await this.worklist.next(user);
    if (!item) res.status(204);
    else res.status(200);
    return item ?? undefined;
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

  @Post(':id/heartbeat')
  @Roles('RADIOLOGIST')
  @HttpCode(200)
  @ApiOperation({ summary: "The viewer's heartbeat: extends your claim → {leaseExpiresAt}; 409 when the claim was lost" })
  heartbeat(@CurrentUser() user: UserPrincipal, @Param({ schema: IdParams }) { id }: { id: string }) {
    return this.worklist.heartbeat(user, id);
  }

  @Post(':id/release')
  @HttpCode(200)
  @ApiOperation({ summary: 'Give the case back to the list (its reader, or an admin)' })
  release(@CurrentUser() user: UserPrincipal, @Param({ schema: IdParams }) { id }: { id: string }) {
    return this.worklist.release(user, id);
  }

  @Post(':id/decline')
  @Roles('RADIOLOGIST')
  @HttpCode(200)
  @ApiOperation({ summary: 'Hand back a case assigned to (or claimed by) you; it is not offered to you again' })
  decline(@CurrentUser() user: UserPrincipal, @Param({ schema: IdParams }) { id }: { id: string }) {
    return this.worklist.decline(user, id);
  }

  @Post(':id/reassign')
  @Roles('ADMIN')
  @HttpCode(200)
  @ApiOperation({ summary: 'Give the case to an eligible reader: 200, or 422 saying why they may not read it' })
  reassign(@CurrentUser() admin: UserPrincipal, @Param({ schema: IdParams }) { id }: { id: string }, @Body({ schema: ReassignBody }) body: z.infer<typeof ReassignBody>) {
    return this.worklist.reassign(admin, id, body.userId);
  }
}
