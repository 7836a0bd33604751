import { Module } from '@nestjs/common';
import { WorklistModule } from '../worklist/worklist.module.js';
import { OrdersController } from './orders.controller.js';
import { OrdersService } from './orders.service.js';

@Module({ imports: [WorklistModule], controllers: [OrdersController], providers: [OrdersService] })
export class OrdersModule {}
