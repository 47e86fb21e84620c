import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { type AppConfig, parseConfig } from '@gameday/config';
import { isTerminal, readSkipStreak, type RunStatus } from '@gameday/core';
import { createPrismaClient, type PrismaClient } from '@gameday/db';
import { randomUUID } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { createApiApp } from '../../apps/api/src/bootstrap';
import { createWorkerApp } from '../../apps/worker/src/bootstrap';
import { runTimeline } from '../../tools/lab/run-timeline';
import { StopAtArmingLauncher } from './stop-at-arming.launcher';

/**
 * Real Postgres and Redis for integration tests. Each test file gets its own BullMQ prefix so
 * files running in parallel never see each other's jobs; everything is torn down in afterAll.
 */
// `openssl rand -hex 32`: the configuration refuses guessable admin tokens, test ones included
export const ADMIN_TOKEN = '997cb4e930b888dd57487f05237251dd4fd0f05c711b190969977912835eb01f';

export function testConfig(name: string, extra: Record<string, string> = {}): AppConfig {
  const prefix = `gdtest-${name}-${randomUUID().slice(0, 8)}`;
  // the redis-cluster tier runs the scheduling tests again on a Redis Cluster (its global setup sets this)
  const cluster = process.env.REDIS_CLUSTER_NODES;
  return parseConfig({
    DATABASE_URL: process.env.DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL,
    REDIS_CLUSTER_NODES: cluster,
    GAMEDAY_ADMIN_TOKEN: ADMIN_TOKEN,
    QUEUE_PREFIX: cluster ? `{${prefix}}` : prefix,
    WORKER_PORT: '0',
    LOG_LEVEL: 'warn',
    // the test database is shared by every test file: a worker must not pick up other files'
    // GameDays (the missed-run test turns this back on)
    WORKER_RECONCILE: 'false',
    ...extra,
  });
}

export async function startApi(config: AppConfig): Promise<INestApplication> {
  const app = await createApiApp(config, { logger: false });
  await app.init();
  return app;
}

/**
 * A worker whose runs stop at `arming` (StopAtArmingLauncher): scheduling tests check
 * firing, not the run lifecycle, so they do not depend on targets or Docker.
 */
export async function startWorker(config: AppConfig): Promise<INestApplicationContext> {
  return createWorkerApp(config, { logger: false, launcher: StopAtArmingLauncher });
}

export function testPrisma(): PrismaClient {
  return createPrismaClient(process.env.DATABASE_URL!);
}

/** Deletes the GameDays (and their runs, events) a test created. */
export async function deleteGameDays(prisma: PrismaClient, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await prisma.run.deleteMany({ where: { gameDayId: { in: ids } } });
  await prisma.gameDay.deleteMany({ where: { id: { in: ids } } });
}

/** Removes every Redis key under a BullMQ prefix (on every master of a cluster). */
export async function deleteQueueKeys(
  config: Pick<AppConfig, 'REDIS_URL' | 'QUEUE_PREFIX'> & Partial<Pick<AppConfig, 'REDIS_CLUSTER_NODES'>>,
): Promise<void> {
  const nodes = config.REDIS_CLUSTER_NODES?.split(',').map((n) => {
    const [host, port] = n.trim().split(':');
    return { host, port: Number(port) };
  });
  const client = nodes ? new Cluster(nodes) : new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    if (client instanceof Cluster) await new Promise((ready) => client.once('ready', ready));
    const servers = client instanceof Cluster ? client.nodes('master') : [client];
    for (const redis of servers) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${config.QUEUE_PREFIX}:*`, 'COUNT', 500);
        cursor = next;
        // one key at a time: on a cluster a multi-key DEL must not span slots
        for (const key of keys) await client.del(key);
      } while (cursor !== '0');
    }
  } finally {
    client.disconnect();
  }
}

/** The minimal GameDay of the design, scheduled at `at`. */
// JSON on purpose: tests mutate deep fields to build invalid bodies
export type JsonBody = ReturnType<typeof JSON.parse>;

export function minimalGameDay(at: Date | string, overrides: Record<string, unknown> = {}): JsonBody {
  return {
    name: 'service2 latency',
    timezone: 'UTC',
    schedule: { at: typeof at === 'string' ? at : at.toISOString() },
    experiments: [
      {
        name: 'latency',
        hypothesis: {
          description: 'errors within 300ms',
          probes: [{ name: 'front', url: 'http://127.0.0.1:8000/?timeout_ms=300', timeoutMs: 1000 }],
        },
        fault: {
          kind: 'network',
          target: { container: 'demo-service2-1' },
          netem: { delay: '500ms', jitter: '100ms' },
        },
        durations: { baseline: '30s', fault: '2m', recovery: '30s' },
      },
    ],
    ...overrides,
  };
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * The occurrences a GameDay's runs account for, oldest first: one per run, except a skipped run
 * that stands for consecutive occurrences skipped for one cause (core's skip streak), which
 * covers first..last with its count.
 */
export async function recordedOccurrences(prisma: PrismaClient, gameDayId: string) {
  const runs = await prisma.run.findMany({
    where: { gameDayId },
    orderBy: { scheduledFor: 'asc' },
    include: { events: { where: { type: 'occurrence.skipped' }, orderBy: { id: 'asc' }, take: 1 } },
  });
  return runs.map((r) => {
    const streak = readSkipStreak(r, r.events[0]?.data ?? null);
    const first = r.scheduledFor.getTime();
    return {
      status: r.status,
      first,
      last: streak?.last ?? first,
      occurrences: streak?.occurrences ?? 1,
      createdAt: r.createdAt.getTime(),
      updatedAt: r.updatedAt.getTime(),
    };
  });
}

/**
 * The run with its events in order, once it has ended (core's isTerminal says what ended is). A run
 * that has not ended in time fails with its status and timeline: what it was waiting on.
 */
export function runEnded(prisma: PrismaClient, runId: string, timeoutMs = 60_000, everyMs = 100) {
  return waitFor(
    'the run to end',
    async () => {
      const r = await prisma.run.findUnique({ where: { id: runId }, include: { events: { orderBy: { id: 'asc' } } } });
      return r && isTerminal(r.status as RunStatus) ? r : null;
    },
    timeoutMs,
    everyMs,
  ).catch(withRunTimeline(prisma, runId));
}

/**
 * For a wait on a run that timed out (`.catch(withRunTimeline(prisma, runId))`): the error again,
 * with the run's status and timeline, which say what it was doing (arming still going, failed).
 */
export function withRunTimeline(prisma: PrismaClient, runId: string) {
  return async (e: unknown): Promise<never> => {
    throw new Error(`${(e as Error).message}\n${await runTimeline(prisma, runId)}`);
  };
}

/**
 * DELETE answers 409 while a run is live, and scheduling tests leave their runs at arming: this
 * ends them (cancelled), then deletes, again when an occurrence fired in between. Returns the
 * final HTTP status.
 */
export async function cancelRunsAndDelete(
  http: { delete(url: string): { set(h: Record<string, string>): PromiseLike<{ status: number }> } },
  auth: Record<string, string>,
  prisma: PrismaClient,
  id: string,
): Promise<number> {
  let status = 0;
  for (let attempt = 0; attempt < 10; attempt++) {
    await prisma.run.updateMany({
      where: { gameDayId: id, status: { in: ['scheduled', 'arming'] } },
      data: { status: 'cancelled', finishedAt: new Date() },
    });
    status = (await http.delete(`/api/v1/gamedays/${id}`).set(auth)).status;
    if (status !== 409) return status;
  }
  return status;
}
