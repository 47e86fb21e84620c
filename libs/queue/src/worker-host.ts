import { type Job, type Processor, UnrecoverableError, Worker, type WorkerOptions } from 'bullmq';
import type { ZodType } from 'zod';
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

/**
 * The BullMQ workers one service of a process hosts, with their shared lifecycle: started
 * together, ready together, closed together on shutdown (in-flight jobs finish, none start).
 */
export class HostedWorkers {
  private readonly workers: Worker[] = [];

  constructor(
    private readonly config: RedisSettings & Pick<AppConfig, 'QUEUE_PREFIX'>,
    private readonly onError: (message: string) => void,
  ) {}

  /** Hosts a worker on `name` (hostWorker); a failed job is reported too. */
  host(name: string, processor: Processor, options: HostedWorkerOptions): this {
    const worker = hostWorker(name, processor, this.config, options, this.onError);
    worker.on('failed', (job, err) => this.onError(`${name} job ${job?.id} failed: ${err.message}`));
    this.workers.push(worker);
    return this;
  }

  async ready(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
  }

  get running(): boolean {
    return this.workers.length > 0 && this.workers.every((w) => w.isRunning());
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.workers.map((w) => w.close()));
  }
}

/**
 * A job's payload checked against its schema, or an UnrecoverableError (retrying a malformed or
 * unknown job cannot help). `name`: the job name the queue carries, when it carries several.
 */
export function jobData<T>(job: Job, schema: ZodType<T>, name?: string): T {
  if (name !== undefined && job.name !== name)
    throw new UnrecoverableError(`unknown job ${job.name} on ${job.queueName}`);
  const parsed = schema.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`invalid ${job.name} job payload: ${parsed.error.message}`);
  return parsed.data;
}
