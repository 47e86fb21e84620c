import { z } from 'zod';
import { faultSchema } from '../faults/fault.schema';
import { faultKindDef } from '../faults/kinds/fault-kind-def.registry';
import { durationSchema, parseDurationMs } from '../units/duration';
import { planSteps, stepsSchema } from './experiment-steps';
import { HEADER_VALUE, HEADER_VALUE_RULE, headerNameProblem } from './http-header';
import { promqlSyntaxError } from './promql';
import {
  clockMinutes,
  clockTimeSchema,
  cronSchema,
  httpUrlSchema,
  instantSchema,
  localOrInstantSchema,
  safeRecord,
  shortText,
  timezoneSchema,
  tryParseLocalOrInstant,
  weekdaySchema,
} from './primitives.schema';

/**
 * The GameDay spec: what the API accepts, what Postgres stores (as JSON) and what every Run
 * snapshots. Objects are strict — a misspelt option must fail, not silently become a default —
 * and every string and array is bounded.
 */

// HTTP's own rules (http-header.ts): a value that could start another header or request, or a
// field the client derives from the request (Host, framing), is refused here, naming the field
const headerName = z.string().superRefine((name, ctx) => {
  const problem = headerNameProblem(name);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
// zod's record skips an own "__proto__" key (JSON.parse keeps one) without checking it: safeRecord
// looks at the raw names first so such a header is refused, named, rather than silently dropped
const headersSchema = safeRecord(
  headerName,
  z.string().max(4096, 'header values are at most 4096 characters').regex(HEADER_VALUE, HEADER_VALUE_RULE),
).refine((h) => Object.keys(h).length <= 32, 'at most 32 headers');

const weeklyHoursSchema = z
  .strictObject({
    days: z.array(weekdaySchema).min(1, 'name at least one day').max(7).default(['mon', 'tue', 'wed', 'thu', 'fri']),
    start: clockTimeSchema,
    end: clockTimeSchema,
  })
  .superRefine((v, ctx) => {
    if (clockMinutes(v.end) <= clockMinutes(v.start))
      ctx.addIssue({
        code: 'custom',
        path: ['end'],
        message: 'end must be after start (split windows that cross midnight in two)',
      });
  });

export const participantSchema = z.strictObject({
  name: shortText(120),
  contact: shortText(254).optional(),
  timezone: timezoneSchema,
  /** when absent the participant is available at any time */
  workingHours: weeklyHoursSchema.optional(),
});

export const missedRunPolicySchema = z.strictObject({
  /** run_late: a firing processed late (workers down) still runs if within deadline; skip: never */
  mode: z.enum(['run_late', 'skip']),
  deadline: durationSchema({ max: '24h' }).default('15m'),
});
const DEFAULT_MISSED_RUN_POLICY = { mode: 'run_late' as const, deadline: '15m' };

export const atScheduleSchema = z.strictObject({
  at: instantSchema,
  missedRunPolicy: missedRunPolicySchema.default(DEFAULT_MISSED_RUN_POLICY),
});

export const cronScheduleSchema = z
  .strictObject({
    cron: cronSchema,
    timezone: timezoneSchema,
    startsAt: instantSchema.optional(),
    endsAt: instantSchema.optional(),
    missedRunPolicy: missedRunPolicySchema.default(DEFAULT_MISSED_RUN_POLICY),
  })
  .superRefine((v, ctx) => {
    if (v.startsAt && v.endsAt && Date.parse(v.endsAt) <= Date.parse(v.startsAt)) {
      ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'endsAt must be after startsAt' });
    }
  });

export const scheduleSchema = z.union([atScheduleSchema, cronScheduleSchema], {
  error: 'schedule must be {"at": instant} or {"cron": expression, "timezone": IANA zone}',
});

/**
 * A window when nothing may run. `start`/`end` bound it absolutely; `weekly` makes it recur
 * (inside start/end when those are given too). Times are read in `timezone`.
 */
export const blackoutSchema = z
  .strictObject({
    name: shortText(120).optional(),
    timezone: timezoneSchema,
    start: localOrInstantSchema.optional(),
    end: localOrInstantSchema.optional(),
    weekly: weeklyHoursSchema.optional(),
  })
  .superRefine((v, ctx) => {
    if (v.weekly === undefined && (v.start === undefined || v.end === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a blackout needs start and end, or weekly (or both)' });
    }
    // a zone or date-time that failed its own check is already reported: nothing to compare
    const start = v.start && tryParseLocalOrInstant(v.start, v.timezone);
    const end = v.end && tryParseLocalOrInstant(v.end, v.timezone);
    if (typeof start === 'number' && typeof end === 'number' && end <= start) {
      ctx.addIssue({ code: 'custom', path: ['end'], message: 'end must be after start' });
    }
  });

export const WEBHOOK_EVENTS = [
  'run.scheduled',
  'run.started',
  'run.skipped',
  'fault.injected',
  'fault.reverted',
  'run.completed',
  'run.aborted',
  'run.failed',
] as const;
export const webhookSchema = z.strictObject({
  url: httpUrlSchema,
  events: z.array(z.enum(WEBHOOK_EVENTS)).min(1, 'name at least one event').max(WEBHOOK_EVENTS.length),
});

/** The series name the load generator's samples are recorded under, beside the probes'. */
export const LOAD_SERIES = 'load';

const probeName = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, "_", "." or "-" (it becomes a metric label)');

/** A request the worker sends itself and times (the `time curl` of a GameDay). */
export const httpProbeSchema = z.strictObject({
  kind: z.literal('http').optional(),
  name: probeName,
  url: httpUrlSchema,
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET'),
  headers: headersSchema.optional(),
  body: z.string().max(65_536, 'must be at most 64 KiB').optional(),
  /** statuses that count as success for the probe's own error rate */
  expectedStatus: z
    .array(z.number().int().min(100, 'HTTP statuses are 100-599').max(599, 'HTTP statuses are 100-599'))
    .min(1)
    .max(20)
    .default([200]),
  timeoutMs: z
    .number()
    .int('must be whole milliseconds')
    .min(1, 'must be at least 1')
    .max(60_000, 'must be at most 60000'),
  interval: durationSchema({ min: '50ms', max: '1m' }).default('1s'),
});

/**
 * A PromQL instant query on the Prometheus the service is configured with, evaluated at an
 * interval: each evaluation is one sample whose measure is the query's value (for example the
 * demo's error ratio or its p95 in ms), so the same tolerances and guardrails apply. An evaluation
 * outside [min, max], with no data or with a failed query counts as an error.
 */
export const prometheusProbeSchema = z
  .strictObject({
    kind: z.literal('prometheus'),
    name: probeName,
    query: z
      .string()
      .max(4096, 'must be at most 4096 characters')
      .superRefine((q, ctx) => {
        const error = promqlSyntaxError(q);
        if (error) ctx.addIssue({ code: 'custom', message: error });
      }),
    min: z.number().optional(),
    max: z.number().optional(),
    timeoutMs: z
      .number()
      .int('must be whole milliseconds')
      .min(1, 'must be at least 1')
      .max(60_000, 'must be at most 60000')
      .default(2_000),
    interval: durationSchema({ min: '1s', max: '5m' }).default('5s'),
  })
  .superRefine((v, ctx) => {
    if (v.min !== undefined && v.max !== undefined && v.min > v.max)
      ctx.addIssue({ code: 'custom', path: ['min'], message: 'min must not exceed max' });
  });

/** Why a GameDay with prometheus probes is refused where no Prometheus is configured. */
export const NO_PROMETHEUS =
  'this service has no Prometheus configured (an admin sets GAMEDAY_PROMETHEUS_URL for the API and the worker), so prometheus probes cannot run';

export const probeSchema = z.discriminatedUnion('kind', [httpProbeSchema, prometheusProbeSchema]);

const ratio = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');
const latencyMs = z.number().positive('must be greater than 0').max(3_600_000);

/** Field names match the verdict engine's Tolerance so a spec passes straight through. */
export const toleranceSchema = z
  .strictObject({
    p50Ms: latencyMs.optional(),
    p95Ms: latencyMs.optional(),
    p99Ms: latencyMs.optional(),
    meanMs: latencyMs.optional(),
    maxErrorRate: ratio.optional(),
    minErrorRate: ratio.optional(),
    expectedStatus: z
      .array(z.number().int().min(100, 'HTTP statuses are 100-599').max(599, 'HTTP statuses are 100-599'))
      .min(1)
      .max(20)
      .optional(),
    minStatusMatchRatio: ratio.optional(),
    maxDeviationRatio: z.number().positive('must be greater than 0').max(10_000).optional(),
    maxP50AboveBaselineMs: latencyMs.optional(),
    maxP95AboveBaselineMs: latencyMs.optional(),
  })
  .superRefine((v, ctx) => {
    if (v.minErrorRate !== undefined && v.maxErrorRate !== undefined && v.minErrorRate > v.maxErrorRate) {
      ctx.addIssue({ code: 'custom', path: ['minErrorRate'], message: 'minErrorRate must not exceed maxErrorRate' });
    }
    if (v.minStatusMatchRatio !== undefined && v.expectedStatus === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['minStatusMatchRatio'],
        message: 'minStatusMatchRatio requires expectedStatus',
      });
    }
  });

export const hypothesisSchema = z.strictObject({
  description: shortText(2000),
  probes: z
    .array(probeSchema)
    .min(1, 'at least one probe')
    .max(10, 'at most 10 probes')
    .superRefine((probes, ctx) => {
      // the tolerances judge the probes' samples together: latencies and query values do not mix
      const first = probeKind(probes[0] ?? {});
      probes.forEach((p, i) => {
        if (probeKind(p) !== first)
          ctx.addIssue({
            code: 'custom',
            path: [i, 'kind'],
            message: `the probes of one hypothesis are all http or all prometheus (the tolerances judge their samples together); probe 0 is ${first}`,
          });
      });
    }),
  tolerances: z
    .strictObject({
      fault: toleranceSchema.optional(),
      recovery: toleranceSchema.optional(),
      minSamples: z.number().int().min(1).max(100_000).optional(),
    })
    .optional(),
});

export const loadSchema = z.strictObject({
  url: httpUrlSchema,
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
  headers: headersSchema.optional(),
  body: z.string().max(65_536, 'must be at most 64 KiB').optional(),
  /** requests per second across all connections */
  rate: z.number().int().min(1, 'must be at least 1 request/s').max(10_000, 'must be at most 10000 requests/s'),
  concurrency: z.number().int().min(1).max(256).default(4),
  timeoutMs: z.number().int().min(1).max(60_000).default(5_000),
});

export const durationsSchema = z
  .strictObject({
    /** time before the baseline to start helpers and probe the kernel, so arming does not disturb it */
    arming: durationSchema({ min: '0s', max: '10m' }).optional(),
    baseline: durationSchema({ min: '1s', max: '1h' }),
    fault: durationSchema({ min: '1s', max: '4h' }),
    recovery: durationSchema({ min: '1s', max: '1h' }),
    /** recovery tolerances apply this long after the actual revert (retransmissions settle) */
    settle: durationSchema({ min: '0s', max: '1h' }).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.settle === undefined) return;
    if ((parseDurationMs(v.settle) ?? 0) >= (parseDurationMs(v.recovery) ?? 0))
      ctx.addIssue({ code: 'custom', path: ['settle'], message: 'must be shorter than the recovery window' });
  });

/** "errorRate > 0.5 for 5s over the last 10s" aborts the experiment and reverts at once. */
export const guardrailSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, "_", "." or "-"'),
    /** `value`: the latest sample's measure (a prometheus probe's query value) */
    metric: z.enum(['errorRate', 'p50Ms', 'p95Ms', 'p99Ms', 'meanMs', 'value']),
    threshold: z.number().min(0, 'must be at least 0').max(3_600_000),
    window: durationSchema({ min: '1s', max: '1h' }).default('10s'),
    for: durationSchema({ max: '1h' }).default('0s'),
    minSamples: z.number().int().min(1).max(100_000).optional(),
    /** which probe's samples; all probes when absent */
    probe: z.string().max(64).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.metric === 'errorRate' && v.threshold > 1)
      ctx.addIssue({
        code: 'custom',
        path: ['threshold'],
        message: 'an errorRate threshold is a ratio between 0 and 1',
      });
  });

export const experimentSchema = z
  .strictObject({
    name: shortText(120),
    hypothesis: hypothesisSchema,
    load: loadSchema.optional(),
    /** the experiment's one fault, for its whole window; or `steps` */
    fault: faultSchema.optional(),
    /** several faults in the fault window, by offset or one after another; or `fault` */
    steps: stepsSchema.optional(),
    durations: durationsSchema,
    guardrails: z.array(guardrailSchema).max(10, 'at most 10 guardrails').optional(),
  })
  .superRefine((v, ctx) => {
    const names = new Set<string>();
    v.hypothesis.probes.forEach((p, i) => {
      if (names.has(p.name))
        ctx.addIssue({
          code: 'custom',
          path: ['hypothesis', 'probes', i, 'name'],
          message: `probe name "${p.name}" is used twice`,
        });
      if (p.name === LOAD_SERIES)
        ctx.addIssue({
          code: 'custom',
          path: ['hypothesis', 'probes', i, 'name'],
          message: `"${LOAD_SERIES}" is reserved for the load generator's samples`,
        });
      names.add(p.name);
    });
    v.guardrails?.forEach((g, i) => {
      if (g.probe !== undefined && !names.has(g.probe))
        ctx.addIssue({ code: 'custom', path: ['guardrails', i, 'probe'], message: `no probe named "${g.probe}"` });
    });
    v.steps?.forEach((s, i) => {
      if (s.gate?.probe !== undefined && !names.has(s.gate.probe))
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i, 'gate', 'probe'],
          message: `no probe named "${s.gate.probe}"`,
        });
    });
    if ((v.fault === undefined) === (v.steps === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['fault'], message: 'give either `fault` or `steps`, exactly one' });
      return;
    }
    if (parseDurationMs(v.durations.fault) === undefined) return;
    const { plan, issues } = planSteps(v);
    for (const issue of issues) ctx.addIssue({ code: 'custom', ...issue });
    // what its window (the step's own, or the experiment's) makes wrong in a fault is its kind's to say
    for (const step of plan)
      for (const issue of faultKindDef(step.fault.kind)?.windowIssues?.(step.fault, step.durationMs) ?? [])
        ctx.addIssue({ code: 'custom', path: [...step.path, ...issue.path], message: issue.message });
  });

export const gameDaySpecSchema = z
  .strictObject({
    name: shortText(200),
    description: z.string().max(10_000, 'must be at most 10000 characters').optional(),
    champion: shortText(200).optional(),
    participants: z.array(participantSchema).max(50, 'at most 50 participants').optional(),
    environment: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, "_", "." or "-" (e.g. staging)')
      .optional(),
    /**
     * The Docker Engine the runs execute on: a worker's GAMEDAY_ENGINE_NAME or the engine's daemon
     * ID; absent means the engine named "default". Targets are resolved there and nowhere else.
     */
    engine: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/,
        'must be an engine name or daemon ID (letters, digits, "_", ".", ":", "-")',
      )
      .optional(),
    mode: z.enum(['announced', 'blind']).default('announced'),
    timezone: timezoneSchema,
    schedule: scheduleSchema,
    blackouts: z.array(blackoutSchema).max(50, 'at most 50 blackout windows').optional(),
    webhooks: z.array(webhookSchema).max(10, 'at most 10 webhooks').optional(),
    experiments: z.array(experimentSchema).min(1, 'at least one experiment').max(20, 'at most 20 experiments'),
  })
  .superRefine((v, ctx) => {
    const names = new Set<string>();
    v.experiments.forEach((e, i) => {
      if (names.has(e.name))
        ctx.addIssue({
          code: 'custom',
          path: ['experiments', i, 'name'],
          message: `experiment name "${e.name}" is used twice`,
        });
      names.add(e.name);
    });
  })
  .meta({ id: 'GameDaySpec' });

export type GameDaySpec = z.infer<typeof gameDaySpecSchema>;
export type GameDaySpecInput = z.input<typeof gameDaySpecSchema>;
export type ExperimentSpec = z.infer<typeof experimentSchema>;
export type ProbeSpec = z.infer<typeof probeSchema>;
export type HttpProbe = z.infer<typeof httpProbeSchema>;
export type PrometheusProbe = z.infer<typeof prometheusProbeSchema>;
export type ToleranceSpec = z.infer<typeof toleranceSchema>;
export type HypothesisSpec = z.infer<typeof hypothesisSchema>;
export type LoadSpec = z.infer<typeof loadSchema>;
export type GuardrailSpec = z.infer<typeof guardrailSchema>;
export type DurationsSpec = z.infer<typeof durationsSchema>;
export type ParticipantSpec = z.infer<typeof participantSchema>;
export type WeeklyHours = z.infer<typeof weeklyHoursSchema>;
export type BlackoutSpec = z.infer<typeof blackoutSchema>;
export type WebhookSpec = z.infer<typeof webhookSchema>;
export type ScheduleSpec = z.infer<typeof scheduleSchema>;
export type AtSchedule = z.infer<typeof atScheduleSchema>;
export type CronSchedule = z.infer<typeof cronScheduleSchema>;
export type MissedRunPolicy = z.infer<typeof missedRunPolicySchema>;

export function probeKind(p: { kind?: 'http' | 'prometheus' }): 'http' | 'prometheus' {
  return p.kind ?? 'http';
}

export function isPrometheusProbe(p: ProbeSpec): p is PrometheusProbe {
  return p.kind === 'prometheus';
}

export function isCronSchedule(s: ScheduleSpec): s is CronSchedule {
  return 'cron' in s;
}
