import { gameDaySpecSchema } from '@gameday/core';
import { z } from 'zod';

/** PATCH: any top-level spec fields; they replace the stored ones and the result is re-validated whole. */
export const gameDayPatchSchema = z
  .strictObject(Object.fromEntries(Object.keys(gameDaySpecSchema.shape).map((k) => [k, z.unknown().optional()])) as Record<keyof typeof gameDaySpecSchema.shape, z.ZodOptional<z.ZodUnknown>>)
  .refine((v) => Object.keys(v).length > 0, 'the patch must change at least one field')
  .meta({ id: 'GameDayPatch', description: 'Top-level GameDaySpec fields to replace; the merged spec must be a valid GameDaySpec.' });

export const gameDayListQuerySchema = z.strictObject({
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(100, 'must be at most 100').default(20),
  cursor: z.uuid({ message: 'must be a cursor returned as nextCursor' }).optional(),
  status: z.enum(['active', 'cancelled', 'finished']).optional(),
  environment: z.string().max(64).optional(),
  mode: z.enum(['announced', 'blind']).optional(),
  scheduleKind: z.enum(['at', 'cron']).optional(),
  q: z.string().max(200).optional(),
});
export type GameDayListQuery = z.infer<typeof gameDayListQuerySchema>;

export const runListQuerySchema = z.strictObject({
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(100, 'must be at most 100').default(20),
  cursor: z.uuid({ message: 'must be a cursor returned as nextCursor' }).optional(),
});
export type RunListQuery = z.infer<typeof runListQuerySchema>;

export const idSchema = z.uuid({ message: 'must be a UUID' });
