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

/**
 * After a reconnect ioredis re-subscribes a subscriber connection by itself and leaves the promise
 * unhandled: if the connection closes before Redis answers (Redis restarting again, or shutdown),
 * that is an unhandled rejection, which ends a Node process. Every (p)subscribe on `client`, ours
 * and ioredis's own, gets a handler (callers still receive the same promise to await).
 */
export function handleSubscribeFailures(client: Redis, warn: (message: string) => void): void {
  for (const name of ['subscribe', 'psubscribe'] as const) {
    const original = client[name].bind(client) as (...args: unknown[]) => Promise<unknown>;
    (client as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[name] = (...args: unknown[]) => {
      const sent = original(...args);
      sent.catch((err: Error) => warn(`${name} failed: ${err.message}`));
      return sent;
    };
  }
}
