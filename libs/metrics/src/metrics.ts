import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every `gameday_` metric, defined once. Each process (API, worker, tests) builds its own
 * registry with createMetrics(), so nothing leaks through prom-client's global registry.
 */

export const METRIC_PREFIX = 'gameday_';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 20, 30];
const SKEW_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];

export const QUEUE_STATES = [
  'waiting',
  'delayed',
  'active',
  'failed',
  'completed',
  'prioritized',
  'waiting-children',
] as const;

export interface QueueCounts {
  name: string;
  counts(): Promise<Record<string, number>>;
}

export function createMetrics(options: { defaults?: boolean; registry?: Registry } = {}) {
  const registry = options.registry ?? new Registry();
  if (options.defaults ?? true) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  const registers = [registry];
  const queueSources: QueueCounts[] = [];
  let leverSource: (() => Promise<boolean>) | undefined;

  const metrics = {
    registry,
    probeDuration: new Histogram({
      name: `${METRIC_PREFIX}probe_duration_seconds`,
      help: 'Duration of steady-state probe requests',
      labelNames: ['gameday', 'experiment', 'probe', 'phase', 'outcome'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    probeRequests: new Counter({
      name: `${METRIC_PREFIX}probe_requests_total`,
      help: 'Steady-state probe requests',
      labelNames: ['gameday', 'experiment', 'probe', 'phase', 'outcome'] as const,
      registers,
    }),
    faultActive: new Gauge({
      name: `${METRIC_PREFIX}fault_active`,
      help: '1 while a fault is applied to the target',
      labelNames: ['gameday', 'experiment', 'target'] as const,
      registers,
    }),
    faultInjections: new Counter({
      name: `${METRIC_PREFIX}fault_injections_total`,
      help: 'Fault injections by result',
      labelNames: ['result', 'reason'] as const,
      registers,
    }),
    faultReverts: new Counter({
      name: `${METRIC_PREFIX}fault_reverts_total`,
      help: 'Fault reverts by result and reason (planned, abort, reaper, self_expiry); path: how an abort reached the helper (stdin, signal)',
      labelNames: ['result', 'reason', 'path'] as const,
      registers,
    }),
    injectionSkew: new Histogram({
      name: `${METRIC_PREFIX}injection_skew_seconds`,
      help: 'Actual minus planned instant of fault injection and revert',
      labelNames: ['action'] as const,
      buckets: SKEW_BUCKETS,
      registers,
    }),
    faultDriverOperation: new Histogram({
      name: `${METRIC_PREFIX}fault_driver_operation_seconds`,
      help: 'Docker Engine work of the fault driver (kernel probe, apply, verify, revert) by result',
      labelNames: ['type', 'result'] as const,
      buckets: SKEW_BUCKETS,
      registers,
    }),
    abortLatency: new Histogram({
      name: `${METRIC_PREFIX}abort_latency_seconds`,
      help: 'From abort request (or guardrail breach) to fault reverted',
      labelNames: ['trigger'] as const,
      buckets: SKEW_BUCKETS,
      registers,
    }),
    runsTotal: new Counter({
      name: `${METRIC_PREFIX}runs_total`,
      help: 'Finished runs by verdict',
      labelNames: ['verdict'] as const,
      registers,
    }),
    steadyStateDeviation: new Gauge({
      name: `${METRIC_PREFIX}steady_state_deviation_ratio`,
      help: 'Latest fault-window p95 divided by baseline p95',
      labelNames: ['gameday', 'experiment'] as const,
      registers,
    }),
    resilienceScore: new Gauge({
      name: `${METRIC_PREFIX}resilience_score`,
      help: "Resilience score (0-100) of the GameDay's latest scored run finished by this worker (see README: Resilience score)",
      labelNames: ['gameday'] as const,
      registers,
    }),
    runsCreated: new Counter({
      name: `${METRIC_PREFIX}runs_created_total`,
      help: 'Runs created by trigger (schedule, catch_up, manual)',
      labelNames: ['trigger'] as const,
      registers,
    }),
    occurrencesSkipped: new Counter({
      name: `${METRIC_PREFIX}occurrences_skipped_total`,
      help: 'Occurrences recorded as skipped, by reason (blackout, missed)',
      labelNames: ['reason'] as const,
      registers,
    }),
    scheduleLateness: new Histogram({
      name: `${METRIC_PREFIX}schedule_lateness_seconds`,
      help: 'From an occurrence instant to its run row being created',
      buckets: SKEW_BUCKETS,
      registers,
    }),
    httpRequestDuration: new Histogram({
      name: `${METRIC_PREFIX}http_request_duration_seconds`,
      help: 'API request duration',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    uncaughtErrors: new Counter({
      name: `${METRIC_PREFIX}uncaught_errors_total`,
      help: 'Errors that escaped every handler after start-up and were logged by the last-resort handler (the process went on), by kind (exception, rejection)',
      labelNames: ['kind'] as const,
      registers,
    }),
    queueJobs: new Gauge({
      name: `${METRIC_PREFIX}queue_jobs`,
      help: 'BullMQ jobs by queue and state (waiting, delayed, active, failed, …)',
      labelNames: ['queue', 'state'] as const,
      registers,
      // read at scrape time so the gauge never goes stale
      async collect() {
        for (const source of queueSources) {
          try {
            const counts = await source.counts();
            for (const state of QUEUE_STATES) this.set({ queue: source.name, state }, counts[state] ?? 0);
          } catch {
            // Redis down: keep the last values rather than failing the whole scrape
          }
        }
      },
    }),
    safetyLeverEngaged: new Gauge({
      name: `${METRIC_PREFIX}safety_lever_engaged`,
      help: '1 while the safety lever is engaged (nothing fires, launches or arms)',
      registers,
      // read from Postgres at scrape time: another process may have pulled or released it
      async collect() {
        if (!leverSource) return;
        try {
          this.set((await leverSource()) ? 1 : 0);
        } catch {
          // Postgres down: keep the last value
        }
      },
    }),
    /** makes safety_lever_engaged report this source */
    watchSafetyLever(source: () => Promise<boolean>): void {
      leverSource = source;
    },
    /** makes queue_jobs report these queues */
    watchQueues(...sources: QueueCounts[]): void {
      queueSources.push(...sources);
    },
  };
  return metrics;
}

export type GameDayMetrics = ReturnType<typeof createMetrics>;
