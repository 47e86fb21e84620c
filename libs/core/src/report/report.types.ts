import type { GateResult, StepResult } from '../run/run-result.schema';
import type { ResilienceScore } from './resilience-score';

/**
 * Plain data a run report is rendered from. Instants are epoch milliseconds; the caller (the API)
 * gathers them from the database and decides what a reader may see (blind mode) before rendering.
 */
export type ReportPhase = 'baseline' | 'fault' | 'recovery';
export const REPORT_PHASES: readonly ReportPhase[] = ['baseline', 'fault', 'recovery'];

export interface ReportSample {
  experimentIndex: number;
  /** probe name, or "load" for the load generator */
  probe: string;
  phase: string;
  at: number;
  durationMs: number;
  ok: boolean;
  status?: number | null;
  errorKind?: string | null;
}

export interface ReportEvent {
  type: string;
  message: string;
  phase?: string | null;
  experimentIndex?: number | null;
  plannedAt?: number | null;
  at: number;
  data?: unknown;
}

export interface ReportNote {
  id: string;
  kind: string;
  text: string;
  owner?: string | null;
  author?: string | null;
  done: boolean;
  createdAt: number;
}

export interface ReportPhaseStats {
  count: number;
  errors: number;
  errorRate: number;
  meanMs: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export interface ReportCheck {
  window: string;
  metric: string;
  comparator: string;
  threshold: number;
  actual: number | null;
  passed: boolean;
}

export interface ReportPlan {
  /** arming began (absent in runs from before arming was planned) */
  armAt?: number;
  /** whose arming time: the experiment's durations.arming (spec) or the run's learned lead */
  arming?: 'spec' | 'lead';
  baselineAt: number;
  injectAt: number;
  revertAt: number;
  endAt: number;
}

export interface ReportInterval {
  from: number;
  to: number;
}

export interface ReportWindows {
  planned: Record<ReportPhase, ReportInterval>;
  observed: Record<ReportPhase, ReportInterval>;
  gaps: (ReportInterval & { kind: string })[];
}

export interface ReportExperiment {
  index: number;
  name: string;
  hypothesis?: string;
  /** one line describing the fault ("network on demo-service2-1: delay 500ms …"); absent when hidden */
  fault?: string;
  plan?: ReportPlan;
  /** what the verdict judged: planned vs observed windows and the gaps between them */
  windows?: ReportWindows;
  stats?: Partial<Record<ReportPhase, ReportPhaseStats>>;
  /** the same per probe (and "load"), when the experiment had more than one source of samples */
  probes?: Record<string, Partial<Record<ReportPhase, ReportPhaseStats>>>;
  verdict?: { verdict: string; reason: string; checks: ReportCheck[]; deviationRatio: number | null };
  timeToRecoverMs?: number | null;
  injectionSkewMs?: number | null;
  revertSkewMs?: number | null;
  abortLatencyMs?: number | null;
  /** side: a partition's group of the target */
  targets?: { containerName: string; containerId: string; side?: string }[];
  /** an experiment with steps: each one planned vs actual; absent when hidden */
  steps?: StepResult[];
  gates?: GateResult[];
  /** the experiment's stop conditions as the spec states them (a breach is `aborted` with trigger guardrail) */
  guardrails?: ReportGuardrail[];
  /** why the experiment stopped early, when it did */
  aborted?: { trigger: string; reason: string; at: number } | null;
}

export interface ReportGuardrail {
  name: string;
  metric: string;
  threshold: number;
  /** the sliding window, as the spec writes it ("10s") */
  window: string;
  /** how long the metric must stay above the threshold ("5s"); absent: at once */
  for?: string;
  probe?: string;
}

export interface RunReport {
  runId: string;
  gameDayId: string;
  gameDayName: string;
  environment?: string | null;
  mode: string;
  status: string;
  trigger: string;
  verdict?: string | null;
  deviationRatio?: number | null;
  scheduledFor: number;
  startedAt?: number | null;
  finishedAt?: number | null;
  error?: string | null;
  abortReason?: string | null;
  /** blind mode, not yet revealed: the caller removed targets, argv and the fault itself */
  faultDetailsHidden: boolean;
  experiments: ReportExperiment[];
  events: ReportEvent[];
  samples: ReportSample[];
  notes: ReportNote[];
  /** the run's resilience score (see scoreRun), computed from what the run stored */
  score: ResilienceScore;
  generatedAt: number;
}
