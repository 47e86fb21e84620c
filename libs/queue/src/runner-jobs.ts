import type { DryRunResult, FaultSpec } from '@gameday/core';
import { z } from 'zod';

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
  /** absent when resolving or compiling failed (then `error` says why) */
  result?: DryRunResult;
  error?: string;
}

export interface DryRunReport {
  gameDayId: string;
  gameDayVersion: number;
  /** ISO instant the worker resolved the targets (they can change before the run arms) */
  resolvedAt: string;
  experiments: DryRunExperiment[];
}
