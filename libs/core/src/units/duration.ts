import { z } from 'zod';

/**
 * Durations are strings with an explicit unit ("500ms", "2m", "1h30m", "250us"): a bare number is
 * ambiguous (tc reads one as microseconds), so it is never accepted.
 */
const UNIT_US: Record<string, number> = {
  us: 1,
  ms: 1_000,
  s: 1_000_000,
  m: 60_000_000,
  h: 3_600_000_000,
};
const PART = /(\d+(?:\.\d+)?)(us|ms|s|m|h)/gy;

/** Parses a duration into microseconds; returns undefined when the text is not a duration. */
export function parseDurationUs(text: string): number | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length > 32) return undefined;
  PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let m = PART.exec(text); m; m = PART.exec(text)) {
    total += Number(m[1]) * UNIT_US[m[2]];
    consumed = PART.lastIndex;
  }
  if (consumed !== text.length) return undefined;
  return Math.round(total);
}

export function parseDurationMs(text: string): number | undefined {
  const us = parseDurationUs(text);
  return us === undefined ? undefined : us / 1000;
}

/** Formats microseconds for humans and for tc, always with a unit. */
export function formatDurationUs(us: number): string {
  if (us % 1_000_000 === 0) return `${us / 1_000_000}s`;
  if (us % 1_000 === 0) return `${us / 1_000}ms`;
  return `${us}us`;
}

export interface DurationBounds {
  min?: string;
  max?: string;
}

/** A zod schema for a duration string within bounds; the parsed value stays the original string. */
export function durationSchema(bounds: DurationBounds = {}) {
  const minUs = bounds.min === undefined ? 0 : parseDurationUs(bounds.min)!;
  const maxUs = bounds.max === undefined ? Number.POSITIVE_INFINITY : parseDurationUs(bounds.max)!;
  return z.string().superRefine((value, ctx) => {
    const us = parseDurationUs(value);
    if (us === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `"${value}" is not a duration: use a number with a unit (us, ms, s, m, h), e.g. "500ms"`,
      });
    } else if (us < minUs) {
      ctx.addIssue({ code: 'custom', message: `must be at least ${bounds.min}` });
    } else if (us > maxUs) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${bounds.max}` });
    }
  });
}
