import type { RedisOptions } from 'bullmq';

/** BullMQ connection options from a redis:// or rediss:// URL; BullMQ owns (and closes) the connections. */
export function redisConnection(url: string, extra: Omit<RedisOptions, 'url'> = {}): RedisOptions {
  return { url, ...extra };
}
