import { gameDaySpecSchema, safeRecord } from '@gameday/core';
import { z } from 'zod';

/**
 * PATCH: any top-level spec fields; they replace the stored ones and the merged spec is
 * re-validated whole (so unknown keys and invalid values are reported together, by the service).
 */
export const gameDayPatchSchema = safeRecord(z.string(), z.unknown())
  .refine((v) => Object.keys(v).length > 0, 'the patch must change at least one field')
  .meta({
    id: 'GameDayPatch',
    description: `Top-level GameDaySpec fields to replace (${Object.keys(gameDaySpecSchema.shape).join(', ')}); the merged spec must be a valid GameDaySpec.`,
  });

export const SPEC_FIELDS = new Set(Object.keys(gameDaySpecSchema.shape));

/** `?limit=`: how many rows a page holds (1-100, 20 when not given) */
const pageLimit = z.coerce
  .number()
  .int('must be a whole number')
  .min(1, 'must be at least 1')
  .max(100, 'must be at most 100')
  .default(20);

export const gameDayListQuerySchema = z.strictObject({
  limit: pageLimit,
  cursor: z.uuid({ message: 'must be a cursor returned as nextCursor' }).optional(),
  status: z.enum(['active', 'cancelled', 'finished']).optional(),
  environment: z.string().max(64).optional(),
  mode: z.enum(['announced', 'blind']).optional(),
  scheduleKind: z.enum(['at', 'cron']).optional(),
  q: z.string().max(200).optional(),
});
export type GameDayListQuery = z.infer<typeof gameDayListQuerySchema>;

export const runListQuerySchema = z.strictObject({
  limit: pageLimit,
  cursor: z.uuid({ message: 'must be a cursor returned as nextCursor' }).optional(),
});
export type RunListQuery = z.infer<typeof runListQuerySchema>;

export const scoreTrendQuerySchema = z.strictObject({
  /** how many of the latest finished runs */
  limit: pageLimit,
});
export type ScoreTrendQuery = z.infer<typeof scoreTrendQuerySchema>;
