import { RUN_STATUSES } from '@gameday/core';
import { z } from 'zod';

// The wire shapes of the API's answers (JSON: instants are ISO strings). One source: the OpenAPI
// document is generated from these, the web UI's and the CLI's types from that document, and
// response-conformance.spec.ts holds the views to them.

export const instant = z.iso.datetime({ offset: true });
const nullableInstant = instant.nullable();

/** A spec as stored, redacted for the caller (see GameDaySpec for its fields). */
export const shownSpecSchema = z
  .record(z.string(), z.unknown())
  .meta({ id: 'ShownSpec', description: 'the GameDay spec (see GameDaySpec), redacted for the caller' });

export const safetyLeverViewSchema = z
  .object({
    engaged: z.boolean(),
    reason: z.string().nullable(),
    engagedAt: nullableInstant,
    engagedBy: z.string().nullable(),
  })
  .meta({ id: 'SafetyLeverView' });

export const safetyLeverStateSchema = safetyLeverViewSchema
  .extend({ releasedAt: nullableInstant, releasedBy: z.string().nullable() })
  .meta({ id: 'SafetyLeverState' });

export const scoreDeductionSchema = z
  .object({
    code: z.enum([
      'hypothesis_violated',
      'check_failed',
      'guardrail_abort',
      'inconclusive',
      'fault_error_rate',
      'fault_latency',
      'recovery_error_rate',
      'recovery_latency',
      'not_recovered',
      'arming_overran',
    ]),
    experimentIndex: z.number().int(),
    reason: z.string(),
    points: z.number(),
  })
  .meta({ id: 'ScoreDeduction', description: 'points lost from 100, and why (see the README: Resilience score)' });

export const resilienceScoreSchema = z
  .object({
    score: z.number().min(0).max(100).nullable(),
    unscoredReason: z.string().nullable(),
    deductions: z.array(scoreDeductionSchema),
    version: z.number().int(),
  })
  .meta({
    id: 'ResilienceScore',
    description:
      "the run's resilience score, 0-100, computed from what the run stored: 100 minus its deductions; null (with unscoredReason) for a run without a verdict on the hypothesis",
  });

export const runSummarySchema = z
  .object({
    score: z.number().nullable().meta({ description: 'the resilience score (see RunDetailView.score); null: none' }),
    deviationRatio: z.number().nullable(),
    timeToRecoverMs: z.number().nullable(),
    p95Ms: z.object({ baseline: z.number().nullable(), fault: z.number().nullable(), recovery: z.number().nullable() }),
  })
  .meta({ id: 'RunSummary', description: "per-run figures for trends: the first experiment's windows" });

export const plannedStepViewSchema = z
  .object({
    name: z.string(),
    kind: z.enum(['fault', 'gate']),
    /** the fault's kind (container, blackhole, …); absent for a gate */
    faultKind: z.string().optional(),
    startAt: z.number(),
    endAt: z.number(),
  })
  .meta({ id: 'PlannedStep', description: 'one step of an experiment on its plan (epoch ms)' });

export const runPlanSchema = z
  .object({
    startAt: z.number(),
    endAt: z.number(),
    armingLeadMs: z.number().int(),
    experiments: z.array(
      z.object({
        index: z.number().int(),
        armAt: z.number(),
        arming: z.enum(['spec', 'lead']),
        baselineAt: z.number(),
        injectAt: z.number(),
        revertAt: z.number(),
        endAt: z.number(),
        steps: z.array(plannedStepViewSchema).optional().meta({
          description:
            "an experiment with steps: each step's planned span, in spec order (absent while blind mode hides the fault)",
        }),
      }),
    ),
  })
  .meta({
    id: 'RunPlan',
    description: "planned instants (epoch ms), arming included; null until the worker settled the run's arming lead",
  });

export const runViewSchema = z
  .object({
    id: z.uuid(),
    gameDayId: z.uuid(),
    scheduledFor: instant,
    trigger: z.enum(['schedule', 'manual', 'catch_up']),
    status: z.enum(RUN_STATUSES),
    gameDayVersion: z.number().int(),
    startedAt: nullableInstant,
    finishedAt: nullableInstant,
    verdict: z.enum(['hypothesis_held', 'hypothesis_violated', 'aborted', 'inconclusive']).nullable(),
    error: z.string().nullable(),
    createdAt: instant,
    updatedAt: instant,
    spec: shownSpecSchema,
    summary: runSummarySchema,
  })
  .meta({ id: 'RunView' });

export const runEventViewSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    phase: runViewSchema.shape.status.nullable(),
    experimentIndex: z.number().int().nullable(),
    plannedAt: nullableInstant,
    at: instant,
    message: z.string(),
    data: z.unknown(),
  })
  .meta({ id: 'RunEventView' });

export const runNoteViewSchema = z
  .object({
    id: z.uuid(),
    runId: z.uuid(),
    kind: z.enum(['note', 'action_item']),
    text: z.string(),
    owner: z.string().nullable(),
    done: z.boolean(),
    doneAt: nullableInstant,
    author: z.string().nullable(),
    createdAt: instant,
  })
  .meta({ id: 'RunNoteView' });

export const runDetailViewSchema = runViewSchema
  .extend({
    result: z.unknown(),
    score: resilienceScoreSchema,
    plan: runPlanSchema.nullable(),
    abortRequestedAt: nullableInstant,
    abortReason: z.string().nullable(),
    events: z.array(runEventViewSchema),
    notes: z.array(runNoteViewSchema),
    safetyLever: safetyLeverViewSchema,
  })
  .meta({ id: 'RunDetailView' });

export const runListItemSchema = runViewSchema
  .extend({ safetyLever: safetyLeverViewSchema })
  .meta({ id: 'RunListItem' });

/** A page of a list: follow nextCursor (null on the last page). */
export const pageOf = <T extends z.ZodType>(item: T, id: string) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() }).meta({ id });

export const runPageSchema = pageOf(runListItemSchema, 'RunPage');

export const meSchema = z
  .object({ name: z.string(), role: z.enum(['viewer', 'operator', 'admin']) })
  .meta({ id: 'Me', description: 'who the token belongs to and its role' });

export const abortAnswerSchema = z
  .object({
    runId: z.uuid(),
    status: z.string().meta({ description: 'what the request did to the run' }),
    requestedAt: instant,
    queued: z.boolean(),
  })
  .meta({ id: 'AbortAnswer' });

export const abortAllAnswerSchema = z
  .object({ runIds: z.array(z.uuid()), requestedAt: instant, queued: z.boolean() })
  .meta({ id: 'AbortAllAnswer', description: 'the runs the emergency stop reached' });

export const safetyLeverEngagedSchema = safetyLeverStateSchema
  .extend({ abortedRunIds: z.array(z.uuid()), queued: z.boolean() })
  .meta({ id: 'SafetyLeverEngaged', description: 'the lever, and the runs its pull aborted' });

export const tokenViewSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    role: meSchema.shape.role,
    prefix: z.string().meta({ description: 'first characters of the secret, to recognise it' }),
    createdAt: instant,
    lastUsedAt: nullableInstant,
    revokedAt: nullableInstant,
    expiresAt: nullableInstant,
  })
  .meta({ id: 'TokenView' });

export const tokenCreatedSchema = tokenViewSchema
  .extend({ token: z.string().meta({ description: 'the secret, shown this once' }) })
  .meta({ id: 'TokenCreated' });

export const tokenPageSchema = pageOf(tokenViewSchema, 'TokenPage');
