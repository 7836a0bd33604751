import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentUser } from '../common/decorators.js';
import type { UserPrincipal } from '../common/principal.js';
import { IdParams } from '../common/schemas.js';
import { NotificationsService } from './notifications.service.js';

const NotificationsQuery = z.strictObject({
  unread: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

@ApiTags('notifications')
@ApiBearerAuth()
@Controller('api/notifications')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Get()
  @ApiOperation({ summary: "The caller's notifications, newest first" })
  list(@CurrentUser() user: UserPrincipal, @Query({ schema: NotificationsQuery }) q: z.infer<typeof NotificationsQuery>) {
    return this.notifications.listFor(user.userId, q.unread === 'true', q.limit);
  }

  @Post(':id/read')
  @HttpCode(200)
  markRead(@CurrentUser() user: UserPrincipal, @Param({ schema: IdParams }) { id }: { id: string }) {
    return this.notifications.markRead(user.userId, id);
  }
}
