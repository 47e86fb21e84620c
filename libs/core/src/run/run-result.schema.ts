import { z } from 'zod';

/**
 * Run.result: written by the worker's run executor, read by the API (run views, reports). One
 * schema so both sides agree; the reader parses leniently (older rows lack newer fields).
 */
const ms = z.number().nullable();

export const windowStatsSchema = z.object({
  count: z.number(),
  errors: z.number(),
  errorRate: z.number(),
  errorsByKind: z.record(z.string(), z.number()).optional(),
  statusCounts: z.record(z.string(), z.number()).optional(),
  meanMs: ms,
  minMs: ms.optional(),
  maxMs: ms.optional(),
  p50Ms: ms,
  p95Ms: ms,
  p99Ms: ms,
});

const windowsStatsSchema = z.object({
  baseline: windowStatsSchema,
  fault: windowStatsSchema,
  recovery: windowStatsSchema,
});

const intervalSchema = z.object({ from: z.number(), to: z.number() });
const judgedIntervalsSchema = z.object({ baseline: intervalSchema, fault: intervalSchema, recovery: intervalSchema });

/** One step of an experiment: planned vs actual (epoch ms; null: it never began, or its end is unknown). */
export const stepResultSchema = z.object({
  name: z.string(),
  kind: z.string(),
  plannedStart: z.number(),
  plannedEnd: z.number(),
  appliedAt: ms,
  revertedAt: ms,
  /** worst skew over its targets against the plan (ms) */
  injectionSkewMs: ms,
  revertSkewMs: ms,
  /** `completed`: in place and out by plan; `aborted`: in place when the run aborted; `not_begun`: the abort came first */
  outcome: z.enum(['completed', 'aborted', 'not_begun', 'failed']),
  targets: z.array(z.string()),
});

export const gateResultSchema = z.object({
  name: z.string(),
  /** "errorRate at most 0.01 over 10s" */
  condition: z.string(),
  plannedStart: z.number(),
  plannedEnd: z.number(),
  passedAt: ms,
  /** the metric when it passed, or as last judged */
  actual: z.number().nullable(),
  /** `failed`: not met in time (the experiment aborted); `aborted`: the run stopped while it was open */
  outcome: z.enum(['passed', 'failed', 'aborted', 'not_begun', 'not_judged']),
});

export const experimentResultSchema = z.object({
  index: z.number().int(),
  name: z.string(),
  plan: z.object({
    index: z.number().optional(),
    /** arming began (absent in runs from before arming was planned) */
    armAt: z.number().optional(),
    /** whose arming time: the experiment's durations.arming (spec) or the run's learned lead */
    arming: z.enum(['spec', 'lead']).optional(),
    baselineAt: z.number(),
    injectAt: z.number(),
    revertAt: z.number(),
    endAt: z.number(),
  }),
  /** what the verdict judged: planned vs observed boundaries and the gaps between them */
  windows: z
    .object({
      planned: judgedIntervalsSchema,
      observed: judgedIntervalsSchema,
      gaps: z.array(intervalSchema.extend({ kind: z.string() })),
    })
    .optional(),
  targets: z.array(
    z.object({
      containerId: z.string(),
      containerName: z.string(),
      netnsId: z.string().nullish(),
      /** partition: the group of this target ("between.0 (compose shop/api)") */
      side: z.string().optional(),
    }),
  ),
  /** an experiment with steps: each step's planned instants against when it was really in place */
  steps: z.array(stepResultSchema).optional(),
  gates: z.array(gateResultSchema).optional(),
  stats: windowsStatsSchema,
  probes: z.record(z.string(), windowsStatsSchema),
  verdict: z.object({
    verdict: z.enum(['hypothesis_held', 'hypothesis_violated', 'aborted', 'inconclusive']),
    reason: z.string(),
    checks: z.array(
      z.object({
        window: z.string(),
        metric: z.string(),
        comparator: z.enum(['<=', '>=']),
        threshold: z.number(),
        actual: z.number().nullable(),
        passed: z.boolean(),
      }),
    ),
    deviationRatio: z.number().nullable(),
  }),
  timeToRecoverMs: ms,
  injectionSkewMs: ms,
  revertSkewMs: ms,
  abortLatencyMs: ms,
  aborted: z
    .object({ trigger: z.enum(['guardrail', 'operator', 'verification', 'gate']), reason: z.string(), at: z.number() })
    .optional(),
});

export const runResultSchema = z.object({
  experiments: z.array(experimentResultSchema),
  verdict: z.enum(['hypothesis_held', 'hypothesis_violated', 'aborted', 'inconclusive']).optional(),
  deviationRatio: z.number().nullable().optional(),
});

export type ExperimentResult = z.infer<typeof experimentResultSchema>;
export type RunResult = z.infer<typeof runResultSchema>;
export type StepResult = z.infer<typeof stepResultSchema>;
export type GateResult = z.infer<typeof gateResultSchema>;

/** The stored result, or an empty one when the row holds nothing this schema understands. */
export function readRunResult(value: unknown): RunResult {
  const parsed = runResultSchema.safeParse(value);
  return parsed.success ? parsed.data : { experiments: [] };
}
