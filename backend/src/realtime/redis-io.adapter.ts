import type { INestApplicationContext } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { closeRedis, handleSubscribeFailures } from '../redis/close-redis.js';
import { RedisService } from '../redis/redis.service.js';

/**
 * socket.io over the app's HTTP server, with every namespace's broadcasts relayed through Redis
 * pub/sub so an emit in one backend process reaches sockets connected to any other.
 * Channels are prefixed with QUEUE_PREFIX, like the queues: platforms sharing a Redis stay apart.
 */
export class RedisIoAdapter extends IoAdapter {
  private readonly log = new Logger('RedisIoAdapter');
  private readonly clients: Redis[] = [];

  constructor(private readonly app: INestApplicationContext) {
    super(app);
  }

  // Typed from IoAdapter: Nest runs its own pinned copy of socket.io.
  override createIOServer(port: number, options?: Parameters<IoAdapter['createIOServer']>[1]): ReturnType<IoAdapter['createIOServer']> {
    const server = super.createIOServer(port, options);
    const redis = this.app.get(RedisService);
    const { QUEUE_PREFIX } = this.app.get<AppConfig>(APP_CONFIG);
    // The app's connection refuses commands while disconnected; these two queue them while
    // (re)connecting so subscriptions are made at boot and restored after an outage.
    const pub = redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: 1 });
    const sub = redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    for (const client of [pub, sub]) client.on('error', (err) => this.log.warn(`Redis for live updates: ${err.message}`));
    handleSubscribeFailures(sub, (message) => this.log.warn(`Redis for live updates: ${message}`));
    // The adapter fires PUBLISH without handling its promise: while Redis is down that would be an
    // unhandled rejection (a crash). A lost broadcast is recoverable (clients refetch on reconnect).
    const publish = pub.publish.bind(pub) as (channel: string | Buffer, message: string | Buffer) => Promise<number>;
    (pub as unknown as { publish: typeof publish }).publish = (channel, message) => {
      const sent = publish(channel, message);
      sent.catch((err: Error) => this.log.warn(`live update not published: ${err.message}`));
      return sent;
    };
    this.clients.push(pub, sub);
    server.adapter(createAdapter(pub, sub, { key: `${QUEUE_PREFIX}:socket.io` }));
    return server;
  }

  override async dispose(): Promise<void> {
    await super.dispose();
    await Promise.all(this.clients.splice(0).map((c) => closeRedis(c)));
  }
}
