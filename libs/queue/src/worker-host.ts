import { Worker, type Processor, type WorkerOptions } from 'bullmq';
import type { AppConfig } from '@gameday/config';
import { closeWith, redisConnection, type RedisSettings } from './redis-options';

export type HostedWorkerOptions = Omit<WorkerOptions, 'connection' | 'prefix'>;

/**
 * The one way GameDay hosts a BullMQ worker: its own blocking connection (no request limit, as
 * BullMQ requires), the deployment's key prefix, and errors reported rather than thrown (an
 * unhandled 'error' event would end the process).
 */
export function hostWorker(
  name: string,
  processor: Processor,
  config: RedisSettings & Pick<AppConfig, 'QUEUE_PREFIX'>,
  options: HostedWorkerOptions,
  onError: (message: string) => void,
): Worker {
  const connection = redisConnection(config, { maxRetriesPerRequest: null });
  const worker = closeWith(
    new Worker(name, processor, { ...options, connection, prefix: config.QUEUE_PREFIX }),
    connection,
  );
  worker.on('error', (err) => onError(`${name} worker: ${err.message}`));
  return worker;
}
