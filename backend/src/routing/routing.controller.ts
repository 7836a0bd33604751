import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Roles } from '../common/decorators.js';
import type { UserPrincipal } from '../common/principal.js';
import { IdParams } from '../common/schemas.js';
import { RoutingService } from './routing.service.js';
import { CreateRuleSchema, TestStudySchema, UpdateRuleSchema, type CreateRuleDto, type TestStudyDto, type UpdateRuleDto } from './routing.schemas.js';

/** Subspecialty routing rules of the admin's network. */
@ApiTags('routing')
@ApiBearerAuth()
@Roles('ADMIN')
@Controller('api/routing-rules')
export class RoutingController {
  constructor(private readonly routing: RoutingService) {}

  @Get()
  @ApiOperation({ summary: 'Routing rules in evaluation order (a network without rules gets the defaults)' })
  list(@CurrentUser() admin: UserPrincipal) {
    return this.routing.list(admin);
  }

  @Post()
  @ApiOperation({ summary: 'Add a rule; `rank` is its position (default last), the others move to make room' })
  create(@CurrentUser() admin: UserPrincipal, @Body({ schema: CreateRuleSchema }) dto: CreateRuleDto) {
    return this.routing.create(admin, dto);
  }

  @Post('test')
  @HttpCode(200)
  @ApiOperation({ summary: 'Which subspecialty these study attributes would be routed to, by which rule' })
  test(@CurrentUser() admin: UserPrincipal, @Body({ schema: TestStudySchema }) dto: TestStudyDto) {
    return this.routing.test(admin, dto);
  }

  @Post('reset-defaults')
  @HttpCode(200)
  @ApiOperation({ summary: 'Replace every rule with the default set' })
  resetDefaults(@CurrentUser() admin: UserPrincipal) {
    return this.routing.resetDefaults(admin);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a rule; a new `rank` moves it (move up / down)' })
  update(@CurrentUser() admin: UserPrincipal, @Param({ schema: IdParams }) { id }: { id: string }, @Body({ schema: UpdateRuleSchema }) dto: UpdateRuleDto) {
    return this.routing.update(admin, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a rule (the last rule cannot be deleted: disable it)' })
  async remove(@CurrentUser() admin: UserPrincipal, @Param({ schema: IdParams }) { id }: { id: string }) {
    await this.routing.remove(admin, id);
  }
}
