import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentUser, Roles } from '../common/decorators.js';
import type { UserPrincipal } from '../common/principal.js';
import { IdParams, IsoDate } from '../common/schemas.js';
import { ShiftsService } from './shifts.service.js';

const Shift = z
  .strictObject({ startsAt: IsoDate, endsAt: IsoDate })
  .refine((s) => s.endsAt > s.startsAt, { path: ['endsAt'], message: 'must be after startsAt' });
const ShiftsBody = z.array(Shift).max(1000);

@ApiTags('users')
@ApiBearerAuth()
@Roles('ADMIN')
@Controller('api/users/:id/shifts')
export class ShiftsController {
  constructor(private readonly shifts: ShiftsService) {}

  @Get()
  @ApiOperation({ summary: "A radiologist's shifts (auto-assignment offers cases only to readers on shift)" })
  list(@CurrentUser() admin: UserPrincipal, @Param({ schema: IdParams }) { id }: { id: string }) {
    return this.shifts.list(admin, id);
  }

  @Put()
  @ApiOperation({ summary: "Replace a radiologist's shifts with this list of {startsAt, endsAt}" })
  replace(@CurrentUser() admin: UserPrincipal, @Param({ schema: IdParams }) { id }: { id: string }, @Body({ schema: ShiftsBody }) body: z.infer<typeof ShiftsBody>) {
    return this.shifts.replace(admin, id, body);
  }
}
