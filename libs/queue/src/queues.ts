import type { ArmingLead, DryRunResult, FaultSpec, SpecWarning } from '@gameday/core';
import { z } from 'zod';

// Every queue and job of GameDay in one place: names (frozen: they live in Redis across
// deployments), payload schemas (ids only: Postgres is the source of truth) and retention.

/**
 * Queue and job names are part of the contract between the API and the worker (and survive
 * deployments inside Redis): they are frozen here and nowhere else.
 */
export const QUEUES = Object.freeze({
  /** occurrences of GameDays: one delayed job per one-shot, one job scheduler per cron GameDay */
  schedule: 'gameday-schedule',
  /** runs to launch now (run-now from the API) */
  run: 'gameday-run',
  /** fault apply/revert timers of the fault engine */
  fault: 'gameday-fault',
} as const);
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const JOBS = Object.freeze({
  /** an occurrence of a GameDay fires (schedule queue) */
  fire: 'fire',
  /** launch an existing Run row (run queue) */
  launch: 'launch',
} as const);

/** Deterministic ids: re-syncing the same GameDay never produces a second job. */
export const jobIds = Object.freeze({
  oneShot: (gameDayId: string) => `at-${gameDayId}`,
  scheduler: (gameDayId: string) => `cron-${gameDayId}`,
  launch: (runId: string) => `launch-${runId}`,
  /** the GameDay of a fire job: a one-shot's id, or a scheduler's occurrence (repeat:cron-<id>:<millis>) */
  gameDayOfFire: (jobId: string): string | null =>
    /^(?:at-|repeat:cron-)([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?::\d+)?$/.exec(jobId)?.[1] ??
    null,
});

/**
 * Queues and jobs of the run lifecycle (worker-internal, plus the API's emergency stop).
 * Frozen like the scheduling names: they live in Redis across deployments.
 */
export const RUNNER_QUEUES = Object.freeze({
  /** one long job per run: arms, measures, decides (its lock is renewed while it runs) */
  execute: 'gameday-execute',
  /**
   * emergency stops only: no other job ever waits in front of an abort (BullMQ runs prioritized
   * jobs after every non-prioritized one, so a shared queue with `priority` would not do)
   */
  abort: 'gameday-abort',
  /** dry runs only (viewers can ask for them): a flood of them cannot delay reverts or aborts */
  dryRun: 'gameday-dry-run',
} as const);

/** The engine a GameDay runs on when it names none, and the name a worker answers to unless told otherwise. */
export const DEFAULT_ENGINE = 'default';

/** The engine a stored GameDay spec (or a run's snapshot of it) names; DEFAULT_ENGINE when none. */
export function engineOf(spec: unknown): string {
  const engine = (spec as { engine?: unknown } | null)?.engine;
  return typeof engine === 'string' && engine ? engine : DEFAULT_ENGINE;
}

/** The queues that exist once per Docker Engine: their jobs must run where the fault lives. */
export type EngineQueueKind =
  typeof RUNNER_QUEUES.execute | typeof RUNNER_QUEUES.abort | typeof RUNNER_QUEUES.dryRun | typeof QUEUES.fault;

/**
 * The queue of one kind for one Docker Engine, named by an admin (GAMEDAY_ENGINE_NAME) or by its
 * daemon ID. Only workers connected to that engine listen there: a worker elsewhere would not
 * find the target's container and take a fault still in place for "already gone".
 * Frozen format: `gameday-fault@<engine>`, with anything but letters, digits, "_", "." and "-"
 * (the ":" of Docker 20.10 daemon IDs) written as "_".
 */
export function engineQueue(kind: EngineQueueKind, engine: string): string {
  if (!engine) throw new Error('engineQueue needs an engine name or daemon ID');
  return `${kind}@${engine.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}

export const FAULT_JOBS = Object.freeze({
  /** delayed to the planned end of the fault window; queued before the fault is applied */
  revert: 'revert',
  /** emergency stop: revert now (one run, or every run when runId is absent); on RUNNER_QUEUES.abort */
  abort: 'abort',
  /** resolve targets and compile the exact commands of every experiment; applies nothing; on RUNNER_QUEUES.dryRun */
  dryRun: 'dry-run',
} as const);

export const EXECUTE_JOB = 'execute';
export const executeJobId = (runId: string) => `execute-${runId}`;

export const executeJobSchema = z.strictObject({ runId: z.uuid() });

export const revertJobSchema = z.strictObject({
  runId: z.uuid(),
  experimentIndex: z.number().int().min(0),
  reason: z.string().max(64),
});

export const abortJobSchema = z.strictObject({
  /** absent: abort every active run */
  runId: z.uuid().optional(),
  requestedAt: z.iso.datetime({ offset: true }),
  reason: z.string().max(500),
});
export type AbortJob = z.infer<typeof abortJobSchema>;

export const dryRunJobSchema = z.strictObject({ gameDayId: z.uuid() });
export type DryRunJob = z.infer<typeof dryRunJobSchema>;

/** What a dry-run job returns (BullMQ keeps it as the job's return value for the API to read). */
export interface DryRunExperiment {
  index: number;
  name: string;
  fault: FaultSpec;
  /** an experiment with steps has one entry per step, each with its plan within the fault window */
  step?: { name: string; offsetMs: number; durationMs: number };
  /** absent when resolving or compiling failed (then `error` says why) */
  result?: DryRunResult;
  error?: string;
}

export interface DryRunReport {
  gameDayId: string;
  gameDayVersion: number;
  /** ISO instant the worker resolved the targets (they can change before the run arms) */
  resolvedAt: string;
  /**
   * The arming a run starting now on this engine would reserve ahead of each baseline that gives
   * no durations.arming, and how it was learned (null when every experiment gives its own)
   */
  arming: (ArmingLead & { engine: string }) | null;
  /** windows too short for minSamples at the probes' interval, naming the field */
  warnings: SpecWarning[];
  experiments: DryRunExperiment[];
}

/** Job payloads carry ids only: Postgres is the source of truth for everything else. */

export const fireJobSchema = z.strictObject({
  gameDayId: z.uuid(),
  /** GameDay version that planned the job; informative (the worker re-checks the current spec) */
  version: z.number().int().min(1),
  /** the occurrence instant; absent in cron templates (BullMQ knows it per job) */
  scheduledFor: z.iso.datetime({ offset: true }).optional(),
});
export type FireJob = z.infer<typeof fireJobSchema>;

export const launchJobSchema = z.strictObject({
  runId: z.uuid(),
});
export type LaunchJob = z.infer<typeof launchJobSchema>;

const DAY_S = 24 * 3600;

/** Attempts and retention per job kind: how long finished jobs stay in Redis for debugging. */
export const JOB_OPTIONS = Object.freeze({
  /**
   * a firing that failed (e.g. a transaction past its wait or timeout in a burst) is
   * tried again (0.5, 1, 2, 4 s): a failed fire job stays in Redis, so the reconciler would not put
   * the occurrence back and it was lost; a second firing of one occurrence is a no-op (unique run)
   */
  fire: {
    attempts: 5,
    backoff: { type: 'exponential', delay: 500 },
    removeOnComplete: { age: 3600, count: 1000 },
    removeOnFail: { age: 7 * DAY_S, count: 5000 },
  },
  launch: { removeOnComplete: { age: 3600 }, removeOnFail: { age: 7 * DAY_S } },
  /**
   * a run that lost Postgres is resumed by a retry (1, 2, 4, 8, 16 s: a restart or a failover is
   * over by then); any other failure ends the run inside the job, which then completes
   */
  execute: {
    attempts: 6,
    backoff: { type: 'exponential', delay: 1_000 },
    removeOnComplete: 1_000,
    removeOnFail: 5_000,
  },
  /** reverts are retried hard: a planned end must not give up while a fault is applied */
  revert: { attempts: 20, backoff: { type: 'fixed', delay: 1_000 }, removeOnComplete: 1_000, removeOnFail: 5_000 },
  abort: {
    attempts: 20,
    backoff: { type: 'fixed', delay: 1_000 },
    removeOnComplete: { age: DAY_S },
    removeOnFail: { age: 7 * DAY_S },
  },
  /** nobody reads a dry run after its caller has gone: kept just long enough to debug */
  dryRun: { attempts: 1, removeOnComplete: { age: 600 }, removeOnFail: { age: 3600 } },
} as const);
