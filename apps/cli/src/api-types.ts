import type { ApiSchemas } from '@gameday/api-types';

/**
 * The REST API's answers the CLI reads: aliases of the types generated from the API's OpenAPI
 * document (libs/api-types), so the CLI stays a client of the public API only.
 */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The part of a shown spec the CLI reads (the API sends the whole spec, redacted for the caller). */
export interface ShownSpecView {
  experiments?: { name?: string; durations?: { baseline: string; fault: string; recovery: string } }[];
  [field: string]: unknown;
}
type WithSpec<T> = Omit<T, 'spec'> & { spec: ShownSpecView };

/** A GameDay as read or written (writes add `warnings`: windows too short for minSamples). */
export type GameDayView = WithSpec<ApiSchemas['GameDayView']> & Partial<Pick<ApiSchemas['GameDayWritten'], 'warnings'>>;
export type SpecWarningView = ApiSchemas['SpecWarning'];
export type RunView = WithSpec<ApiSchemas['RunView']>;
export type RunEventView = ApiSchemas['RunEventView'];
/** Planned instants (epoch ms), arming included; null until the worker settled the run's arming lead. */
export type RunPlanView = ApiSchemas['RunPlan'];
export type RunDetailView = WithSpec<ApiSchemas['RunDetailView']>;

export const TERMINAL_STATUSES: ReadonlySet<string> = new Set([
  'completed',
  'aborted',
  'failed',
  'cancelled',
  'skipped',
]);

/** POST /api/v1/gamedays/:id/dry-run */
export type DryRunReportView = ApiSchemas['DryRunReport'];
export type DryRunExperimentView = DryRunReportView['experiments'][number];
