/**
 * The shapes of the REST API's answers the CLI reads (see apps/api/src/gamedays/gameday.view.ts).
 * Declared here, not imported, because the CLI is a client of the public API only.
 */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface GameDayView {
  id: string;
  name: string;
  status: string;
  mode: string;
  environment: string | null;
  champion: string | null;
  version: number;
  nextRunAt: string | null;
  createdAt: string;
  updatedAt: string;
  cancelledAt: string | null;
  spec: Record<string, unknown>;
  /** on create and update: windows too short for minSamples at the probes' interval */
  warnings?: SpecWarningView[];
}

export interface SpecWarningView {
  field: string;
  message: string;
}

export interface RunView {
  id: string;
  gameDayId: string;
  scheduledFor: string;
  trigger: string;
  status: string;
  gameDayVersion: number;
  startedAt: string | null;
  finishedAt: string | null;
  verdict: string | null;
  error: string | null;
  spec: { experiments?: { name?: string; durations?: { baseline: string; fault: string; recovery: string } }[] };
}

export interface RunEventView {
  id: string;
  type: string;
  phase: string | null;
  experimentIndex: number | null;
  plannedAt: string | null;
  at: string;
  message: string;
  data: unknown;
}

/** Planned instants (epoch ms), arming included; null until the worker settled the run's arming lead. */
export interface RunPlanView {
  startAt: number;
  endAt: number;
  armingLeadMs: number;
  experiments: {
    index: number;
    armAt: number;
    arming: 'spec' | 'lead';
    baselineAt: number;
    injectAt: number;
    revertAt: number;
    endAt: number;
  }[];
}

export interface RunDetailView extends RunView {
  /** absent from APIs older than the arming lead */
  plan?: RunPlanView | null;
  result: unknown;
  abortRequestedAt: string | null;
  abortReason: string | null;
  events: RunEventView[];
}

export const TERMINAL_STATUSES: ReadonlySet<string> = new Set([
  'completed',
  'aborted',
  'failed',
  'cancelled',
  'skipped',
]);

/** POST /api/v1/gamedays/:id/dry-run (see DryRunReport in the worker's job types). */
export interface DryRunReportView {
  gameDayId: string;
  gameDayVersion: number;
  resolvedAt: string;
  /** the arming a run starting now would reserve on the engine (absent from older APIs) */
  arming?: { engine: string; leadMs: number; source: 'learned' | 'cold'; samples: number; p90Ms: number | null } | null;
  warnings?: SpecWarningView[];
  experiments: DryRunExperimentView[];
}

export interface DryRunExperimentView {
  index: number;
  name: string;
  fault: { kind: string };
  /** absent when resolving or compiling failed; then `error` says why */
  result?: {
    kind: string;
    targets: {
      target: { containerId: string; containerName: string };
      strategy: string;
      runner: string[];
      apply: string[][];
      verify: string[][];
      revert: string[][];
      warnings: string[];
    }[];
    refused: { id: string; name: string; reason: string; message: string }[];
  };
  error?: string;
}
