import { z } from 'zod';
import { durationSchema, parseDurationMs } from '../units/duration';

/** A gate decides this long before its end, so its abort reaches every helper before the next step's T0. */
export const GATE_DECISION_LEAD_MS = 1_000;
/** The shortest span a gate may have: a second to judge in, and the lead. */
export const GATE_MIN_SPAN_MS = 2 * GATE_DECISION_LEAD_MS;

const bound = z.number().min(0, 'must be at least 0').max(3_600_000, 'must be at most 3600000');

/**
 * A gate step: from its start, the hypothesis probes' samples must meet a condition ("errorRate at
 * most 0.01 over the last 10s", held for `for`) before its end, or the experiment aborts: every fault
 * in place comes out and no later step begins. The condition is a guardrail's, the other way round.
 */
export const gateSchema = z
  .strictObject({
    metric: z.enum(['errorRate', 'p50Ms', 'p95Ms', 'p99Ms', 'meanMs', 'value']),
    /** met when the metric is at most this */
    atMost: bound.optional(),
    /** met when the metric is at least this */
    atLeast: bound.optional(),
    /** the sliding window the metric is computed over (only samples taken since the gate opened) */
    window: durationSchema({ min: '1s', max: '1h' }).default('10s'),
    /** how long the condition must hold before the gate passes; 0s = at once */
    for: durationSchema({ max: '1h' }).default('0s'),
    minSamples: z.number().int().min(1).max(100_000).optional(),
    /** which probe's samples; all the hypothesis probes' when absent */
    probe: z.string().max(64).optional(),
  })
  .superRefine((v, ctx) => {
    if ((v.atMost === undefined) === (v.atLeast === undefined))
      ctx.addIssue({ code: 'custom', path: ['atMost'], message: 'give either `atMost` or `atLeast`, exactly one' });
    const bound = v.atMost ?? v.atLeast;
    if (v.metric === 'errorRate' && bound !== undefined && bound > 1)
      ctx.addIssue({
        code: 'custom',
        path: [v.atMost !== undefined ? 'atMost' : 'atLeast'],
        message: 'an errorRate bound is a ratio between 0 and 1',
      });
  });

export type GateSpec = z.infer<typeof gateSchema>;

/** "errorRate at most 0.01 over 10s for 3s (front)": the condition as reports and events say it. */
export function describeGate(g: GateSpec): string {
  const bound = g.atMost !== undefined ? `at most ${g.atMost}` : `at least ${g.atLeast}`;
  return `${g.metric} ${bound} over ${g.window}${parseDurationMs(g.for) ? ` for ${g.for}` : ''}${g.probe ? ` (${g.probe})` : ''}`;
}
