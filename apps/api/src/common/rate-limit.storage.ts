import { Inject, Injectable, Logger, Module, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { type ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { APP_CONFIG, type AppConfig } from '@gameday/config';
import { redisConnection } from '@gameday/queue';
import { Cluster, Redis } from 'ioredis';

type ThrottlerRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** A rate-limit count must not hold a request up: Redis answers in a millisecond or is treated as gone. */
const COMMAND_TIMEOUT_MS = 250;
/** How long start-up waits for the first connection (a request before it is counted in this process). */
const CONNECT_WAIT_MS = 3_000;

/**
 * The rate limits' counters, shared by every API replica through GameDay's Redis (so two replicas
 * behind one address enforce one budget, not two). When Redis does not answer, each request is
 * counted in this process instead: the API keeps serving (reads, the abort button) with the
 * per-replica limits it had before, and says so once in the log.
 */
@Injectable()
export class SharedRateLimitStorage implements ThrottlerStorage, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SharedRateLimitStorage.name);
  private readonly shared: ThrottlerStorageRedisService;
  private readonly local = new ThrottlerStorageService();
  private readonly client: Redis | Cluster;
  private degraded = false;
  /** the deployment's Redis namespace: GameDay instances (and test files) sharing a Redis count apart */
  private readonly prefix: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.prefix = `${config.QUEUE_PREFIX}:rate-limit:`;
    this.client = rateLimitClient(config);
    this.shared = new ThrottlerStorageRedisService(this.client as Redis);
  }

  /** Waits (bounded) for Redis so the first requests count where every replica sees them. */
  async onModuleInit(): Promise<void> {
    if (this.client.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.client.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, CONNECT_WAIT_MS);
      this.client.once('ready', done);
    });
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerRecord> {
    try {
      const record = await this.shared.increment(this.prefix + key, ttl, limit, blockDuration, throttlerName);
      if (this.degraded) this.logger.log('Redis answers again: rate limits are shared by every API replica');
      this.degraded = false;
      return record;
    } catch (error) {
      if (!this.degraded)
        this.logger.warn(
          `rate limits counted in this API process only (Redis: ${(error as Error).message}); shared again once Redis answers`,
        );
      this.degraded = true;
      return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
    }
  }

  onModuleDestroy(): void {
    this.local.onApplicationShutdown();
    this.client.disconnect();
  }
}

/**
 * A client of its own, failing fast instead of queueing while Redis is away (the queues' clients
 * wait for Redis; a request must not).
 */
function rateLimitClient(config: AppConfig): Redis | Cluster {
  const fast = { enableOfflineQueue: false, commandTimeout: COMMAND_TIMEOUT_MS, maxRetriesPerRequest: 0 };
  const connection = redisConnection(config, fast);
  if (connection instanceof Cluster) return connection;
  const { url, ...options } = connection as typeof connection & { url?: string };
  return url ? new Redis(url, options) : new Redis(options);
}

/** Provides the shared storage to ThrottlerModule (its factory imports this) with a lifecycle of its own. */
@Module({ providers: [SharedRateLimitStorage], exports: [SharedRateLimitStorage] })
export class RateLimitStorageModule {}
