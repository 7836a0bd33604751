import { Body, Controller, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { AllowApiKey, CurrentPrincipal, Roles } from '../common/decorators.js';
import type { Principal } from '../common/principal.js';
import { SUBSPECIALTIES } from '../users/users.schemas.js';
import { OrdersService } from './orders.service.js';
import { DicomUid } from '../common/schemas.js';

const CreateOrderSchema = z.strictObject({
  accessionNumber: z.string().trim().min(1).max(16, 'must be at most 16 characters (DICOM SH)'),
  studyInstanceUid: DicomUid.optional(),
  priority: z.enum(['STAT', 'URGENT', 'ROUTINE']),
  indication: z.string().trim().min(1).max(2000),
  requestedSubspecialty: z
    .string()
    .transform((s) => s.toUpperCase())
    .pipe(z.enum(SUBSPECIALTIES))
    .optional(),
});
export type CreateOrderDto = z.infer<typeof CreateOrderSchema>;

@ApiTags('orders')
@ApiBearerAuth()
@ApiSecurity('ApiKey')
@Controller('api/orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @AllowApiKey()
  @Roles('HOSPITAL_STAFF')
  @ApiOperation({ summary: 'The order for a study: priority, clinical indication, requested subspecialty (before or after the images)' })
  create(@CurrentPrincipal() principal: Principal, @Body({ schema: CreateOrderSchema }) dto: CreateOrderDto) {
    return this.orders.create(principal, dto);
  }
}
