import { z } from 'zod';

/** Job payloads carry ids only: Postgres is the source of truth for everything else. */

export const fireJobSchema = z.strictObject({
  gameDayId: z.uuid(),
  /** GameDay version that planned the job; informative (the worker re-checks the current spec) */
  version: z.number().int().min(1),
  /** the occurrence instant; absent in cron templates (BullMQ knows it per job) */
  scheduledFor: z.iso.datetime({ offset: true }).optional(),
});
export type FireJob = z.infer<typeof fireJobSchema>;

export const launchJobSchema = z.strictObject({
  runId: z.uuid(),
});
export type LaunchJob = z.infer<typeof launchJobSchema>;
