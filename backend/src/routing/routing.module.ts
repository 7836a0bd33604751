import { Module } from '@nestjs/common';
import { RoutingController } from './routing.controller.js';
import { RoutingRepository } from './routing.repository.js';
import { RoutingService } from './routing.service.js';

/** Subspecialty routing: the rules admins edit and the engine intake routes studies with. */
@Module({ controllers: [RoutingController], providers: [RoutingService, RoutingRepository], exports: [RoutingService] })
export class RoutingModule {}
