import { Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { StandardSchemaValidationPipe } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { BootstrapService } from './bootstrap.service.js';
import { CacheModule } from './cache/cache.module.js';
import { HttpExceptionFilter } from './common/http-exception.filter.js';
import { HttpMetricsInterceptor } from './common/http-metrics.interceptor.js';
import { APP_CONFIG, type AppConfig } from './config/config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { DicomwebModule } from './dicomweb/dicomweb.module.js';
import { DimseModule } from './dimse/dimse.module.js';
import { EscalationModule } from './escalation/escalation.module.js';
import { HealthModule } from './health/health.module.js';
import { HospitalsModule } from './hospitals/hospitals.module.js';
import { IngestModule } from './ingest/ingest.module.js';
import { JobsModule } from './jobs/jobs.module.js';
import { NotificationsModule } from './notifications/notifications.module.js';
import { OrdersModule } from './orders/orders.module.js';
import { RealtimeModule } from './realtime/realtime.module.js';
import { RedisModule } from './redis/redis.module.js';
import { RoutingModule } from './routing/routing.module.js';
import { StorageModule } from './storage/storage.module.js';
import { StudiesModule } from './studies/studies.module.js';
import { TenancyModule } from './tenancy/tenancy.module.js';
import { UsersModule } from './users/users.module.js';
import { WorklistModule } from './worklist/worklist.module.js';
import { ArchiveSyncModule } from './archive-sync/archive-sync.module.js';

@Module({
  imports: [
    ArchiveSyncModule,
    ConfigModule,
    LoggerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        pinoHttp: {
          level: config.LOG_LEVEL,
          // The request id comes from requestContextMiddleware, which runs first.
          genReqId: (req: IncomingMessage) => (req as IncomingMessage & { id: string }).id,
          redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
          autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health' || req.url === '/metrics' },
          customProps: () => ({ service: 'teleread-backend' }),
        },
      }),
    }),
    DatabaseModule,
    RedisModule,
    CacheModule,
    StorageModule,
    JobsModule,
    RealtimeModule,
    NotificationsModule,
    HealthModule,
    TenancyModule,
    AuditModule,
    AuthModule,
    UsersModule,
    HospitalsModule,
    StudiesModule,
    RoutingModule,
    // Before WorklistModule: its GET /api/worklist/escalations must not be taken for a case id.
    EscalationModule,
    WorklistModule,
    IngestModule,
    DimseModule,
    OrdersModule,
    DicomwebModule,
  ],
  providers: [
    BootstrapService,
    { provide: APP_PIPE, useValue: new StandardSchemaValidationPipe() },
    { provide: APP_FILTER, useClass: HttpExceptionFilter },
    { provide: APP_INTERCEPTOR, useClass: HttpMetricsInterceptor },
  ],
})
export class AppModule {}
