import type { RedisOptions } from 'bullmq';
import type { AppConfig } from '@gameday/config';
import { Cluster } from 'ioredis';

/** The settings that say where the queues' Redis is: one server, a Sentinel setup, or a Cluster. */
export type RedisSettings = Pick<
  AppConfig,
  'REDIS_URL' | 'REDIS_CLUSTER_NODES' | 'REDIS_SENTINELS' | 'REDIS_SENTINEL_MASTER'
>;

export type RedisConnection = RedisOptions | Cluster;

/**
 * BullMQ's connection for GameDay's Redis. One server or a Sentinel setup: options, and BullMQ
 * owns (and closes) the connections it opens. A Cluster: BullMQ takes only a client for one, so
 * this returns a new client that the caller closes with its queue or worker (closeWith).
 */
export function redisConnection(config: RedisSettings, extra: Omit<RedisOptions, 'url'> = {}): RedisConnection {
  if (config.REDIS_CLUSTER_NODES) {
    return new Cluster(hostPorts(config.REDIS_CLUSTER_NODES), {
      redisOptions: { ...credentials(config.REDIS_URL), ...extra },
      // BullMQ's blocking commands must not be answered by a replica
      scaleReads: 'master',
    });
  }
  if (config.REDIS_SENTINELS) {
    const { db, ...auth } = credentials(config.REDIS_URL);
    return {
      sentinels: hostPorts(config.REDIS_SENTINELS),
      name: config.REDIS_SENTINEL_MASTER,
      db,
      ...auth,
      // sentinels usually share the servers' password when they have one
      sentinelPassword: auth.password,
      sentinelUsername: auth.username,
      ...extra,
    };
  }
  return { url: config.REDIS_URL, ...extra };
}

/**
 * Makes `owner.close()` also close a Cluster client made for it by redisConnection (BullMQ
 * leaves a client it was given open); options need nothing. Returns the owner.
 */
export function closeWith<T extends { close(): Promise<void> }>(owner: T, connection: RedisConnection): T {
  if (!(connection instanceof Cluster)) return owner;
  const close = owner.close.bind(owner);
  owner.close = async () => {
    try {
      await close();
    } finally {
      await connection.quit().catch(() => connection.disconnect());
    }
  };
  return owner;
}

function hostPorts(list: string): { host: string; port: number }[] {
  return list.split(',').map((entry) => {
    const e = entry.trim();
    const colon = e.lastIndexOf(':');
    return { host: e.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(e.slice(colon + 1)) };
  });
}

/** What a redis:// URL says besides its host: user, password, database, TLS. */
function credentials(url: string): Pick<RedisOptions, 'username' | 'password' | 'db' | 'tls'> {
  const u = new URL(url);
  const db = Number(u.pathname.replace(/^\//, '') || 0);
  return {
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}
