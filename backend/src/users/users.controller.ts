import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Roles } from '../common/decorators.js';
import type { UserPrincipal } from '../common/principal.js';
import { IdParams } from '../common/schemas.js';
import { UsersService } from './users.service.js';
import { CreateUserSchema, type CreateUserDto } from './users.schemas.js';

@ApiTags('users')
@ApiBearerAuth()
@Roles('ADMIN')
@Controller('api/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  list(@CurrentUser() admin: UserPrincipal) {
    return this.users.list(admin);
  }

  @Get(':id')
  get(@CurrentUser() admin: UserPrincipal, @Param({ schema: IdParams }) { id }: { id: string }) {
    return this.users.get(admin, id);
  }

  @Post()
  @ApiOperation({ summary: 'Create a user: radiologists with subspecialties, licenses and privileges; staff with their hospital' })
  create(@CurrentUser() admin: UserPrincipal, @Body({ schema: CreateUserSchema }) dto: CreateUserDto) {
    return this.users.create(admin, dto);
  }
}
