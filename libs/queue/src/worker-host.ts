import { Worker, type Processor, type WorkerOptions } from 'bullmq';
import type { AppConfig } from '@gameday/config';
import { redisConnection } from './redis-options';

export type HostedWorkerOptions = Omit<WorkerOptions, 'connection' | 'prefix'>;

/**
 * The one way GameDay hosts a BullMQ worker: its own blocking connection (no request limit, as
 * BullMQ requires), the deployment's key prefix, and errors reported rather than thrown (an
 * unhandled 'error' event would end the process).
 */
export function hostWorker(
  name: string,
  processor: Processor,
  config: Pick<AppConfig, 'REDIS_URL' | 'QUEUE_PREFIX'>,
  options: HostedWorkerOptions,
  onError: (message: string) => void,
): Worker {
  const worker = new Worker(name, processor, {
    ...options,
    connection: redisConnection(config.REDIS_URL, { maxRetriesPerRequest: null }),
    prefix: config.QUEUE_PREFIX,
  });
  worker.on('error', (err) => onError(`${name} worker: ${err.message}`));
  return worker;
}
