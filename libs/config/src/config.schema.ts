import { z } from 'zod';
import { parseEgressList } from '@gameday/core';
import { secretWeakness } from './secret-strength';

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

/** "host:port,host:port": the seed nodes of a Redis Cluster or the sentinels of a Sentinel setup */
const hostPortList = z
  .string()
  .max(2_000)
  .refine(
    (value) => value.split(',').every((e) => /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(e.trim())),
    'must be a comma-separated list of host:port (e.g. redis-1:6379,redis-2:6379)',
  );

const egressList = z
  .string()
  .max(10_000)
  .superRefine((value, ctx) => {
    try {
      parseEgressList(value);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `has an invalid entry ${(e as Error).message}` });
    }
  });

export const configSchema = z
  .object({
    DATABASE_URL: url(['postgresql:', 'postgres:']),
    /**
     * Redis of the queues. With REDIS_CLUSTER_NODES or REDIS_SENTINELS it gives only the
     * credentials, the database (Sentinel) and TLS (rediss://); its host is not used.
     */
    REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379/0'),
    /** a Redis Cluster's seed nodes; QUEUE_PREFIX must then be a hash tag such as {gameday} */
    REDIS_CLUSTER_NODES: hostPortList.optional(),
    /** the sentinels of a Redis Sentinel setup; REDIS_SENTINEL_MASTER names the master they watch */
    REDIS_SENTINELS: hostPortList.optional(),
    REDIS_SENTINEL_MASTER: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, "_", "." or "-"')
      .default('mymaster'),
    PORT: port.default(8080),
    /** 0 picks a free port (tests run several workers in one process) */
    WORKER_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
    /** the bootstrap admin token; absent means only database tokens are accepted */
    GAMEDAY_ADMIN_TOKEN: z
      .string()
      .min(16, 'must be at least 16 characters')
      .superRefine((value, ctx) => {
        const weakness = secretWeakness(value);
        if (weakness) ctx.addIssue({ code: 'custom', message: weakness });
      })
      .optional(),
    /** the worker's Docker Engine (unix://, tcp://, ssh://); absent: the local socket */
    DOCKER_HOST: z.string().min(1).optional(),
    /** "1": talk TLS to a tcp:// DOCKER_HOST (port 2376 always does), verifying its certificate */
    DOCKER_TLS_VERIFY: z
      .enum(['0', '1'], { message: 'must be 0 or 1' })
      .optional()
      .transform((v) => v === '1'),
    /** directory holding ca.pem, cert.pem and key.pem for a TLS DOCKER_HOST */
    DOCKER_CERT_PATH: z.string().min(1).max(4_096).optional(),
    /** the helper image tag on the engine; absent: built from libs/faults/helper on first use */
    GAMEDAY_HELPER_IMAGE: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$/, 'must be an image reference such as gameday/netem-helper:1')
      .optional(),
    /** the container-fault watchdog's image tag on the engine; absent: built from the helper context on first use */
    GAMEDAY_WATCHDOG_IMAGE: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$/, 'must be an image reference such as gameday/container-watchdog:1')
      .optional(),
    /**
     * The engine's unix socket on the engine's own host, mounted into container-fault watchdogs;
     * absent: the socket DOCKER_HOST names when it is a unix one, else /var/run/docker.sock.
     */
    GAMEDAY_ENGINE_SOCKET: z
      .string()
      .regex(/^\/[A-Za-z0-9._/-]{1,4095}$/, 'must be an absolute path such as /var/run/docker.sock')
      .optional(),
    /** where the helper image is built from when the build output cannot find libs/faults/helper */
    GAMEDAY_HELPER_CONTEXT: z.string().min(1).max(4_096).optional(),
    /** how often the reaper (rollback layer 2) sweeps expired leases from Postgres (ms) */
    GAMEDAY_REAPER_INTERVAL_MS: z.coerce.number().int().min(50).max(3_600_000).default(1_000),
    /** a run still active this long after its planned end, holding no open lease, is closed as orphaned (ms) */
    GAMEDAY_ORPHAN_AFTER_MS: z.coerce.number().int().min(0).max(86_400_000).default(60_000),
    /**
     * The name GameDays use for this worker's Docker Engine (`"engine": "…"` in a GameDay); the
     * daemon ID works too. One name per engine: workers of another engine must use another name.
     */
    GAMEDAY_ENGINE_NAME: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
        'must be 1-64 letters, digits, "_", "." or "-" (e.g. eu-west-docker-1)',
      )
      .default('default'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /**
     * BullMQ key prefix; lets several deployments (or test files) share one Redis. On a Redis
     * Cluster it must be a hash tag ({gameday}): BullMQ's scripts touch several keys of a queue at
     * once, and a cluster runs such a script only when all its keys live in one slot.
     */
    QUEUE_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9:_{}-]{1,64}$/, 'must be 1-64 letters, digits, ":", "_", "-", "{" or "}"')
      .default('gameday'),
    /**
     * firing and launching jobs of the worker taken at once (runs execute on their own queue). The
     * fire jobs taken within 2 ms of each other fire as one batch (one transaction for the lot), so
     * this bounds a burst's batch: with 32, 1 000 occurrences due at one instant fired p99 14 s
     * late, with 1 000 about 1 s (npm run bench:scale).
     */
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(5000).default(1000),
    /**
     * Postgres connections a process keeps at most (node-postgres' pool). A worker firing a burst
     * holds one per firing transaction while its runs' executions write too.
     */
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
    /** upper bound for JSON request bodies */
    BODY_LIMIT: z
      .string()
      .regex(/^\d+(b|kb|mb)$/i, 'must be a size such as "256kb"')
      .default('256kb'),
    /** the most the engine's clock may differ from the worker's before arming is refused (ms) */
    GAMEDAY_MAX_CLOCK_OFFSET_MS: z.coerce.number().int().min(0).max(3_600_000).default(500),
    /** requests per window per client address and per bearer token (429 beyond); generous by default */
    RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
    RATE_LIMIT_PER_ADDRESS: z.coerce.number().int().min(1).max(10_000_000).default(6000),
    RATE_LIMIT_PER_TOKEN: z.coerce.number().int().min(1).max(10_000_000).default(6000),
    /**
     * How many proxies in front of the API to trust for the client's address (X-Forwarded-For):
     * 0 (default) trusts none, so a client cannot choose the address its rate limit counts; the
     * compose stack's gateway is one hop.
     */
    TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
    /** where the worker's /metrics and /healthz listen; loopback unless exposed on purpose */
    WORKER_METRICS_HOST: z.string().min(1).max(255).default('127.0.0.1'),
    /**
     * Egress policy for probes, load and webhooks (comma-separated hosts, addresses, CIDRs,
     * host:port). ALLOW narrows to an allow-list; ALLOW_DENIED re-allows an always-denied
     * destination (metadata, Docker API, GameDay's own ports); DENY adds destinations to deny.
     */
    GAMEDAY_EGRESS_ALLOW: egressList.optional(),
    GAMEDAY_EGRESS_ALLOW_DENIED: egressList.optional(),
    GAMEDAY_EGRESS_DENY: egressList.optional(),
    /**
     * The network fault strategy "exec" runs tc inside the target with its own binaries and
     * privileges: a compromised target could take the host. Off unless an admin turns it on
     * (the API refuses such GameDays, the worker refuses to prepare them).
     */
    GAMEDAY_ALLOW_EXEC_STRATEGY: z
      .enum(['true', 'false'], { message: 'must be true or false' })
      .default('false')
      .transform((v) => v === 'true'),
    /**
     * The Prometheus that prometheus probes and guardrails query (its HTTP API base, e.g.
     * http://prometheus:9090). Set by an admin: without it, GameDays with such probes are refused.
     */
    GAMEDAY_PROMETHEUS_URL: url(['http:', 'https:']).optional(),
    /** dry runs one token may ask for per minute (429 beyond) */
    DRY_RUN_RATE_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(10),
    /** re-create missing queue entries for every active GameDay when a worker starts, then periodically */
    WORKER_RECONCILE: z
      .enum(['true', 'false'], { message: 'must be true or false' })
      .default('true')
      .transform((v) => v === 'true'),
    /**
     * Days a run's raw evidence (probe samples, load aggregates) is kept after the run ended; 0
     * keeps it forever. The run, its events, notes and its verdict with the window statistics stay.
     */
    GAMEDAY_SAMPLE_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(90),
    /** how often a worker re-checks Redis against Postgres (lost schedules, runs never launched) */
    WORKER_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  })
  .superRefine((c, ctx) => {
    if (c.REDIS_CLUSTER_NODES && c.REDIS_SENTINELS)
      ctx.addIssue({
        code: 'custom',
        path: ['REDIS_SENTINELS'],
        message: 'cannot be set together with REDIS_CLUSTER_NODES',
      });
    if (c.REDIS_CLUSTER_NODES && !/^[^{}]*\{[^{}]+\}[^{}]*$/.test(c.QUEUE_PREFIX))
      ctx.addIssue({
        code: 'custom',
        path: ['QUEUE_PREFIX'],
        message:
          "must be a hash tag such as {gameday} when REDIS_CLUSTER_NODES is set (a queue's keys must share one slot)",
      });
    if (c.REDIS_CLUSTER_NODES && !['', '/', '/0'].includes(new URL(c.REDIS_URL).pathname))
      ctx.addIssue({
        code: 'custom',
        path: ['REDIS_URL'],
        message: 'must name database 0 (or none) on a Redis Cluster',
      });
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
