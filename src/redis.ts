// Redis connections for what instances share (subscription events, rate-limit counters), made
// only when REDIS_URL is set. One connection for commands and publishing, one for SUBSCRIBE (a
// subscribed connection can run no other command).
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config.ts';

export interface RedisConnections {
  commands: Redis;
  subscriber: Redis;
  close(): Promise<void>;
}

export function connectRedis(config: Config, log: Logger): RedisConnections | null {
  if (!config.redis.url) return null;
  const make = (role: string) => {
    const client = new Redis(config.redis.url!, {
      // Fail a command after a few reconnection tries rather than queue it forever: a request that
      // needs Redis (a rate-limited mutation) gets an error instead of hanging.
      maxRetriesPerRequest: 3,
      connectionName: `youth-safety-api:${role}`,
    });
    // ioredis reconnects by itself; without a listener an 'error' event would crash the process.
    client.on('error', (err) => log.warn({ err: { message: err.message }, role }, 'redis connection error'));
    return client;
  };
  const commands = make('commands');
  const subscriber = make('subscriber');
  return {
    commands,
    subscriber,
    async close() {
      await Promise.allSettled([commands.quit(), subscriber.quit()]);
    },
  };
}
