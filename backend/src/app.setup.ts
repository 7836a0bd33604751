import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { APP_CONFIG, type AppConfig } from './config/config.js';
import { requestContextMiddleware } from './common/request-context.middleware.js';
import { RedisIoAdapter } from './realtime/redis-io.adapter.js';
import { WorklistReadFastPath } from './worklist/worklist-read.fast-path.js';

/** Everything main.ts and the tests both need, so tests run the app as deployed. */
export function configureApp(app: NestExpressApplication): INestApplication {
  const config = app.get<AppConfig>(APP_CONFIG);
  app.useLogger(app.get(Logger));
  app.set('trust proxy', config.TRUST_PROXY.split(',').map((s) => s.trim()));
  app.disable('x-powered-by');
  // The most requested route, answered ahead of the framework (see WorklistReadFastPath).
  app.get(WorklistReadFastPath).mount(app.getHttpServer(), app.getHttpAdapter().getInstance().get('trust proxy fn'));
  app.use(requestContextMiddleware);
  app.useBodyParser('json', { limit: '1mb' });
  app.enableShutdownHooks();
  // socket.io on this HTTP server, broadcasts relayed through Redis to every backend process.
  app.useWebSocketAdapter(new RedisIoAdapter(app));

  const openapi = new DocumentBuilder()
    .setTitle('Teleread API')
    .setDescription('Teleradiology reading platform: studies, worklist, reporting, consults. See shared/API.md for the contract.')
    .setVersion('0.1.0')
    .addBearerAuth()
    .addApiKey({ type: 'apiKey', in: 'header', name: 'Authorization', description: 'ApiKey <key> (hospital machines)' }, 'ApiKey')
    .build();
  SwaggerModule.setup('api/docs', app, () => SwaggerModule.createDocument(app, openapi), { jsonDocumentUrl: 'api/docs/json' });
  return app;
}
