import type { Redis } from 'ioredis';

/**
 * Closes a connection once the replies it is waiting for have arrived (QUIT is queued behind them),
 * or drops it after `withinMs` when Redis does not answer. A plain disconnect() rejects pending
 * commands, and some have no one to catch them (ioredis re-subscribes by itself after a reconnect):
 * right after a Redis restart that turned shutdown into unhandled rejections.
 */
export async function closeRedis(client: Redis, withinMs = 1_000): Promise<void> {
  if (client.status === 'end') return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.quit().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, withinMs);
    }),
  ]);
  clearTimeout(timer);
  client.disconnect();
}
