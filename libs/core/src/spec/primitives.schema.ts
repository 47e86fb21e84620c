import { CronExpressionParser } from 'cron-parser';
import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';

/** Shared building blocks of the GameDay spec: bounded strings, timezones, instants, cron. */

export const shortText = (max = 200) =>
  z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

export const timezoneSchema = z
  .string()
  .max(64, 'must be at most 64 characters')
  .refine((tz) => IANAZone.isValidZone(tz), { message: 'must be an IANA timezone such as "UTC" or "Europe/Paris"' });

/** An absolute instant: ISO 8601 with an explicit offset or Z (a local time would be ambiguous). */
export const instantSchema = z.iso.datetime({
  offset: true,
  message: 'must be an ISO 8601 instant with an offset, e.g. "2030-01-01T10:00:00Z"',
});

/** A wall-clock date-time read in some IANA timezone, or an instant with an offset. */
export const localOrInstantSchema = z.iso.datetime({
  offset: true,
  local: true,
  message: 'must be an ISO 8601 date-time, e.g. "2030-12-24T00:00" (read in the window\'s timezone) or with an offset',
});

export const clockTimeSchema = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be a time of day "HH:mm" (00:00-24:00)');

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export const weekdaySchema = z.enum(WEEKDAYS, { message: `must be one of ${WEEKDAYS.join(', ')}` });

/** Minutes since midnight of "HH:mm". */
export function clockMinutes(text: string): number {
  const [h, m] = text.split(':').map(Number);
  return h * 60 + m;
}

/**
 * Cron with 5 fields (minute precision) or 6 (leading seconds), checked by cron-parser — the
 * parser BullMQ's job schedulers use — so whatever is accepted here also fires there.
 */
export const cronSchema = z
  .string()
  .max(128, 'must be at most 128 characters')
  .superRefine((value, ctx) => {
    const fields = value.trim().split(/\s+/);
    if (fields.length !== 5 && fields.length !== 6) {
      ctx.addIssue({
        code: 'custom',
        message: `cron needs 5 fields (minute hour day-of-month month day-of-week) or 6 with leading seconds; got ${fields.length}`,
      });
      return;
    }
    try {
      CronExpressionParser.parse(value, { tz: 'UTC' }).next();
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `invalid cron expression: ${(e as Error).message}` });
    }
  });

/** Like parseLocalOrInstant, but undefined when text or timezone is invalid (already reported). */
export function tryParseLocalOrInstant(text: string, timezone: string): number | undefined {
  try {
    const ms = parseLocalOrInstant(text, timezone);
    return Number.isFinite(ms) ? ms : undefined;
  } catch {
    return undefined;
  }
}

/** Parses a local-or-instant text in a timezone into epoch ms. */
export function parseLocalOrInstant(text: string, timezone: string): number {
  const dt = DateTime.fromISO(text, { zone: timezone, setZone: false });
  if (!dt.isValid) throw new Error(`"${text}" is not a date-time`);
  return dt.toMillis();
}

export const httpUrlSchema = z
  .string()
  .max(2048, 'must be at most 2048 characters')
  .refine(
    (value) => {
      try {
        const u = new URL(value);
        return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname.length > 0;
      } catch {
        return false;
      }
    },
    { message: 'must be an absolute http:// or https:// URL' },
  );

/**
 * Keys no map keyed by user strings may hold. JSON.parse keeps `__proto__` as an own key, but
 * zod's record (like an object spread) silently drops it, so `{"__proto__": "x", "k": "v"}`
 * would mean `{"k": "v"}` (a label selector quietly widened); `constructor` and `prototype` read
 * as inherited members on a plain object (`labels.constructor` is a function on a container
 * without that label), so code looking them up by name would be misled.
 */
export const RESERVED_RECORD_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * z.record for maps keyed by user strings (labels, headers): a reserved key is refused, naming
 * it, instead of vanishing. The raw input is checked before the record parses (and drops) it.
 */
export function safeRecord<K extends z.core.$ZodRecordKey, V extends z.ZodType>(key: K, value: V) {
  return z.preprocess(
    (input, ctx) => {
      if (input !== null && typeof input === 'object' && !Array.isArray(input))
        for (const name of Object.keys(input))
          if (RESERVED_RECORD_KEYS.has(name))
            ctx.addIssue({
              code: 'custom',
              path: [name],
              message: `"${name}" is reserved (a JavaScript object's own machinery) and cannot be a key`,
            });
      return input;
    },
    z.record(key, value),
  );
}
