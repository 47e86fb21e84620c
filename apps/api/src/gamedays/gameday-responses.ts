import { z } from 'zod';
import {
  instant,
  pageOf,
  runViewSchema,
  safetyLeverViewSchema,
  scoreDeductionSchema,
  shownSpecSchema,
} from '../common/response.schemas';

// The wire shapes of what the GameDay endpoints answer (see response.schemas.ts).

export const specWarningSchema = z
  .object({
    field: z.string().meta({ description: 'the spec field to change', example: 'experiments[0].durations.baseline' }),
    message: z.string().meta({
      example:
        "a 20s baseline gives about 4 sample(s) at the probes' interval (every 5s), fewer than minSamples 10: the verdict would be inconclusive; make it at least 50s or probe more often",
    }),
  })
  .meta({
    id: 'SpecWarning',
    description: "a window too short to give minSamples at the probes' interval (the verdict would be inconclusive)",
  });

/** How many recent runs each item of a GameDay list carries. */
export const RECENT_RUNS_IN_LIST = 10;

export const gameDayViewSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    status: z.enum(['active', 'cancelled', 'finished']),
    mode: z.enum(['announced', 'blind']),
    environment: z.string().nullable(),
    champion: z.string().nullable(),
    version: z.number().int(),
    nextRunAt: instant.nullable(),
    createdAt: instant,
    updatedAt: instant,
    cancelledAt: instant.nullable(),
    revealedAt: instant.nullable(),
    upcoming: z
      .array(z.object({ at: instant, skippedBy: z.string().nullable() }))
      .meta({ description: 'the next occurrences, each with the blackout that will skip it' }),
    spec: shownSpecSchema,
  })
  .meta({ id: 'GameDayView' });

/** GET answers: the view and the safety lever (clients show why nothing launches). */
export const gameDayReadSchema = gameDayViewSchema
  .extend({ safetyLever: safetyLeverViewSchema })
  .meta({ id: 'GameDayRead' });

/** A list item: the GameDay and its last runs' verdicts and deviation (the list's trend column). */
export const gameDayListItemSchema = gameDayReadSchema
  .extend({
    recentRuns: z
      .array(
        z.object({
          status: z.string(),
          verdict: z.enum(['hypothesis_held', 'hypothesis_violated', 'aborted', 'inconclusive']).nullable(),
          deviationRatio: z.number().nullable(),
          scheduledFor: instant,
        }),
      )
      .meta({ description: `its last ${RECENT_RUNS_IN_LIST} runs, newest first` }),
  })
  .meta({ id: 'GameDayListItem' });

export const gameDayPageSchema = pageOf(gameDayListItemSchema, 'GameDayPage');

/** POST / PATCH answer: the view plus what the spec will probably regret (never a refusal). */
export const gameDayWriteSchema = gameDayViewSchema
  .extend({ warnings: z.array(specWarningSchema) })
  .meta({ id: 'GameDayWritten' });

const dryRunTargetSchema = z.looseObject({
  target: z.looseObject({ containerId: z.string(), containerName: z.string() }),
  strategy: z.string(),
  runner: z.array(z.string()),
  apply: z.array(z.array(z.string())),
  verify: z.array(z.array(z.string())),
  revert: z.array(z.array(z.string())),
  peers: z
    .array(z.object({ peer: z.string(), addresses: z.array(z.string()) }))
    .optional()
    .meta({ description: 'blackhole: each peer as named → the addresses it resolves to now (arming resolves again)' }),
  side: z
    .string()
    .optional()
    .meta({ description: "partition: this target's group (its peers are the other group's containers)" }),
  processes: z
    .array(z.object({ pid: z.number().int(), comm: z.string(), note: z.string().optional() }))
    .optional()
    .meta({
      description:
        "process-kill: the target's processes of that name now (host PIDs, from docker top); `note` says why one is never signalled (PID 1). Nothing is signalled by a dry run",
    }),
  warnings: z.array(z.string()),
});

/** POST /:id/dry-run answer (DryRunReport). */
export const dryRunReportSchema = z
  .object({
    gameDayId: z.uuid(),
    gameDayVersion: z.number().int(),
    resolvedAt: instant,
    arming: z
      .object({
        engine: z.string(),
        leadMs: z.number().int(),
        source: z.enum(['learned', 'cold']),
        samples: z.number().int(),
        p90Ms: z.number().int().nullable(),
        faults: z.number().int(),
        policy: z.record(z.string(), z.number()),
      })
      .nullable()
      .meta({
        description:
          "the arming a run starting now on this engine would reserve ahead of each baseline that gives no durations.arming (null when every experiment gives its own): p90 of the engine's recent armings per fault × margin × faults (the most faults one such experiment arms: its steps, or its one fault), at least floor, at most cap × faults; the cold value × faults until the engine has minHistory armings",
      }),
    warnings: z.array(specWarningSchema),
    experiments: z.array(
      z.object({
        index: z.number().int(),
        name: z.string(),
        fault: z.looseObject({ kind: z.string() }),
        step: z.object({ name: z.string(), offsetMs: z.number().int(), durationMs: z.number().int() }).optional().meta({
          description:
            'an experiment with steps has one entry per step: its start from the fault window and how long it lasts',
        }),
        result: z
          .looseObject({
            kind: z.string(),
            targets: z.array(dryRunTargetSchema),
            refused: z.array(
              z.looseObject({ id: z.string(), name: z.string(), reason: z.string(), message: z.string() }),
            ),
          })
          .optional()
          .meta({ description: 'absent when resolving or compiling failed; then `error` says why' }),
        error: z.string().optional(),
      }),
    ),
  })
  .meta({ id: 'DryRunReport' });

export const scoreTrendSchema = z
  .object({
    gameDayId: z.uuid(),
    items: z.array(
      z.object({
        runId: z.uuid(),
        scheduledFor: instant,
        finishedAt: instant,
        status: runViewSchema.shape.status,
        verdict: runViewSchema.shape.verdict,
        score: z.number().nullable(),
        unscoredReason: z.string().nullable(),
        /** the deductions' codes and points, for a tooltip; the run's own view has their reasons */
        deductions: z.array(scoreDeductionSchema.pick({ code: true, points: true })),
      }),
    ),
    /** the newest scored run's score */
    latest: z.number().nullable(),
    /** the mean of the scored runs in items */
    mean: z.number().nullable(),
    version: z.number().int(),
  })
  .meta({
    id: 'ScoreTrend',
    description:
      "the resilience scores of the GameDay's latest finished runs, oldest first (see the README: Resilience score)",
  });
