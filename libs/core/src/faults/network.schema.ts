import { z } from 'zod';
import { durationSchema, parseDurationUs } from '../units/duration';
import { targetSchema } from './target.schema';

/**
 * The network fault: netem on one device of the target, optionally scoped to some peers or on
 * ingress. Objects are strict (a misspelt option must not silently turn into "no fault"), and
 * every cross-field rule names the field it is about.
 */

const percent = z
  .number()
  .min(0, 'must be a percentage between 0 and 100')
  .max(100, 'must be a percentage between 0 and 100');

/** tc reads a bare number as bytes/s for rates: a unit is required ("1mbit", "500kbit", "10mbps"). */
export const RATE_PATTERN = /^(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit|tbit|bps|kbps|mbps|gbps|tbps)$/;
const RATE_BITS: Record<string, number> = {
  bit: 1,
  kbit: 1e3,
  mbit: 1e6,
  gbit: 1e9,
  tbit: 1e12,
  bps: 8,
  kbps: 8e3,
  mbps: 8e6,
  gbps: 8e9,
  tbps: 8e12,
};

/** Rate text → bits per second; undefined when it is not a rate with a unit. */
export function parseRateBitsPerSecond(text: string): number | undefined {
  const m = RATE_PATTERN.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * RATE_BITS[m[2]];
}

export const rateSchema = z.string().superRefine((value, ctx) => {
  const bits = parseRateBitsPerSecond(value);
  if (bits === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `"${value}" is not a rate: use a number with a unit (bit, kbit, mbit, gbit, bps, kbps, mbps, gbps), e.g. "1mbit"`,
    });
  } else if (bits < 8) {
    ctx.addIssue({ code: 'custom', message: 'rate must be at least 8bit' });
  }
});

/** An IPv4/IPv6 address or CIDR; a bare address means the single host. */
export const cidrSchema = z.union([z.cidrv4(), z.cidrv6(), z.ipv4(), z.ipv6()], {
  error: 'must be an IPv4 or IPv6 address or CIDR (e.g. "10.0.0.0/8", "2001:db8::/32")',
});

const lossRandomSchema = z.strictObject({
  model: z.literal('random'),
  percent,
  correlation: percent.optional(),
});

/** 4-state Markov model; tc takes the probabilities positionally, so each needs its predecessor. */
const lossStateSchema = z
  .strictObject({
    model: z.literal('state'),
    p13: percent,
    p31: percent,
    p32: percent.optional(),
    p23: percent.optional(),
    p14: percent.optional(),
  })
  .superRefine((v, ctx) => {
    if (v.p23 !== undefined && v.p32 === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['p23'],
        message: 'p23 requires p32 (tc takes them in order p13 p31 p32 p23 p14)',
      });
    if (v.p14 !== undefined && v.p23 === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['p14'],
        message: 'p14 requires p23 (tc takes them in order p13 p31 p32 p23 p14)',
      });
  });

/** Gilbert-Elliott model: p, r, then tc's "1-h" and "1-k" (loss in the bad and good state). */
const lossGemodelSchema = z
  .strictObject({
    model: z.literal('gemodel'),
    p: percent,
    r: percent.optional(),
    h: percent.optional(),
    k: percent.optional(),
  })
  .superRefine((v, ctx) => {
    if (v.h !== undefined && v.r === undefined)
      ctx.addIssue({ code: 'custom', path: ['h'], message: 'h requires r (tc takes them in order p r 1-h 1-k)' });
    if (v.k !== undefined && v.h === undefined)
      ctx.addIssue({ code: 'custom', path: ['k'], message: 'k requires h (tc takes them in order p r 1-h 1-k)' });
  });

const lossModelSchema = z.discriminatedUnion('model', [lossRandomSchema, lossStateSchema, lossGemodelSchema], {
  error: 'loss.model must be "random", "state" or "gemodel"',
});

export const lossSchema = z.union([percent, lossModelSchema], {
  // A union hides why its object branch failed; surface that branch's reasons with their fields.
  error: (issue) => {
    const objectBranch = (issue as { errors?: { path: PropertyKey[]; message: string }[][] }).errors?.[1];
    if (issue.input !== null && typeof issue.input === 'object' && objectBranch?.length) {
      return objectBranch.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
    }
    return 'loss must be a percentage or {model: "random" | "state" | "gemodel", ...}';
  },
});

export const reorderSchema = z.strictObject({
  percent,
  correlation: percent.optional(),
  gap: z.number().int('gap must be a whole number of packets').min(1, 'gap must be at least 1').optional(),
});

export const netemSchema = z
  .strictObject({
    delay: durationSchema({ max: '5m' }).optional(),
    jitter: durationSchema({ max: '5m' }).optional(),
    correlation: percent.optional(),
    distribution: z.enum(['uniform', 'normal', 'pareto', 'paretonormal']).optional(),
    loss: lossSchema.optional(),
    duplicate: percent.optional(),
    corrupt: percent.optional(),
    reorder: reorderSchema.optional(),
    rate: rateSchema.optional(),
    limit: z
      .number()
      .int('limit must be a whole number of packets')
      .min(1, 'limit must be at least 1 packet')
      .max(10_000_000, 'limit must be at most 10000000 packets')
      .optional(),
  })
  .superRefine((v, ctx) => {
    const delayUs = v.delay === undefined ? undefined : parseDurationUs(v.delay);
    if (v.jitter !== undefined && v.delay === undefined)
      ctx.addIssue({ code: 'custom', path: ['jitter'], message: 'jitter requires delay' });
    if (v.correlation !== undefined && v.jitter === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['correlation'],
        message: 'correlation requires jitter (it correlates the random part of the delay)',
      });
    if (v.distribution !== undefined && v.jitter === undefined)
      ctx.addIssue({ code: 'custom', path: ['distribution'], message: 'distribution requires delay and jitter' });
    if (v.reorder !== undefined && (delayUs === undefined || delayUs === 0))
      ctx.addIssue({
        code: 'custom',
        path: ['reorder'],
        message: 'reorder requires delay (reordered packets are the ones sent without it)',
      });
    const impairs =
      (delayUs ?? 0) > 0 ||
      v.loss !== undefined ||
      v.duplicate !== undefined ||
      v.corrupt !== undefined ||
      v.rate !== undefined;
    if (!impairs)
      ctx.addIssue({ code: 'custom', message: 'netem needs at least one of delay, loss, duplicate, corrupt or rate' });
  });

export const scopeRuleSchema = z
  .strictObject({
    /** Remote peer addresses: destination on egress, source on ingress. */
    destinations: z.array(cidrSchema).min(1, 'destinations must not be empty when given').max(64).optional(),
    /** Remote peer ports: destination port on egress, source port on ingress. */
    ports: z
      .array(z.number().int().min(1, 'ports are 1-65535').max(65535, 'ports are 1-65535'))
      .min(1, 'ports must not be empty when given')
      .max(64)
      .optional(),
    protocol: z.enum(['tcp', 'udp', 'icmp']).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.destinations === undefined && v.ports === undefined && v.protocol === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a scope rule needs at least one of destinations, ports or protocol' });
    }
    if (v.ports !== undefined && v.protocol === 'icmp')
      ctx.addIssue({ code: 'custom', path: ['ports'], message: 'ports cannot be combined with protocol icmp' });
  });

/** Rules are OR'ed; inside a rule, fields are AND'ed (and the values of one field OR'ed). */
export const scopeSchema = z.strictObject({
  rules: z
    .array(scopeRuleSchema)
    .min(1, 'scope.rules must contain at least one rule')
    .max(32, 'at most 32 scope rules'),
});

/** Docker's embedded DNS answers on 127.0.0.11: never delay name resolution by default. */
export const DEFAULT_EXCLUDES = ['127.0.0.11/32'];

export const networkFaultSchema = z.strictObject({
  kind: z.literal('network'),
  target: targetSchema,
  netem: netemSchema,
  scope: scopeSchema.optional(),
  direction: z.enum(['egress', 'ingress']).default('egress'),
  device: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,15}$/, 'device must be an interface name (1-15 letters, digits, "_", ".", "-")')
    .default('eth0'),
  strategy: z.enum(['sidecar', 'exec', 'nsenter']).default('sidecar'),
  /** Peers never affected by the fault (unscoped and scoped alike). */
  exclude: z.array(cidrSchema).max(64).default(DEFAULT_EXCLUDES),
});

export type NetworkFaultSpec = z.infer<typeof networkFaultSchema>;
export type NetemSpec = z.infer<typeof netemSchema>;
export type LossSpec = z.infer<typeof lossSchema>;
export type ScopeRule = z.infer<typeof scopeRuleSchema>;
