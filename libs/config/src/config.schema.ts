import { z } from 'zod';

const url = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    `must be a ${protocols.map((p) => p.replace(':', '://')).join(' or ')} URL`,
  );

const port = z.coerce.number().int().min(1).max(65535);

export const configSchema = z.object({
  DATABASE_URL: url(['postgresql:', 'postgres:']),
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379/0'),
  PORT: port.default(8080),
  /** 0 picks a free port (tests run several workers in one process) */
  WORKER_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** the bootstrap admin token; absent means only database tokens are accepted */
  GAMEDAY_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  DOCKER_HOST: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** BullMQ key prefix; lets several deployments (or test files) share one Redis */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,64}$/, 'must be 1-64 letters, digits, ":", "_" or "-"')
    .default('gameday'),
  /** jobs of the worker processed at once */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /** upper bound for JSON request bodies */
  BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'must be a size such as "256kb"')
    .default('256kb'),
  /** the most the engine's clock may differ from the worker's before arming is refused (ms) */
  GAMEDAY_MAX_CLOCK_OFFSET_MS: z.coerce.number().int().min(0).max(3_600_000).default(500),
  /** dry runs one token may ask for per minute (429 beyond) */
  DRY_RUN_RATE_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(10),
  /** re-create missing queue entries for every active GameDay when a worker starts, then periodically */
  WORKER_RECONCILE: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .default('true')
    .transform((v) => v === 'true'),
  /** how often a worker re-checks Redis against Postgres (lost schedules, runs never launched) */
  WORKER_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
});

export type AppConfig = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses environment variables; the error names every invalid or missing variable. */
export function parseConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  // empty strings are how shells and compose files spell "unset"
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = configSchema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = issue.path.join('.');
        const message = issue.code === 'invalid_type' && cleaned[name] === undefined ? 'is required' : issue.message;
        return `${name} ${message}`;
      }),
    );
  }
  return result.data;
}

let cached: AppConfig | undefined;

/** The process-wide configuration, parsed once on first use. */
export function loadConfig(): AppConfig {
  cached ??= parseConfig(process.env);
  return cached;
}
