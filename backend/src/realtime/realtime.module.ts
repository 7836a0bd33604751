import { Global, Module } from '@nestjs/common';
import { WorklistAudience } from './worklist-audience.service.js';
import { WorklistEvents } from './worklist-events.service.js';
import { WorklistGateway } from './worklist.gateway.js';

/** Live updates over socket.io; global so any feature can publish without importing the gateway. */
@Global()
@Module({ providers: [WorklistGateway, WorklistAudience, WorklistEvents], exports: [WorklistEvents] })
export class RealtimeModule {}
