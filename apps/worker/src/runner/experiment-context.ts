import type {
  Clock,
  ExperimentPlan,
  ExperimentSpec,
  FaultDriver,
  FaultLease,
  GameDaySpec,
  LeaseRepository,
  PreparedFault,
  RevertResult,
  RunPhase,
} from '@gameday/core';
import type { AppConfig } from '@gameday/config';
import type { ProbeSampleRepository, RunRepository } from '@gameday/db';
import type { GameDayMetrics } from '@gameday/metrics';
import type { EgressGuard } from '@gameday/probes';
import type { ArmedStep } from './armed-step';
import type { FaultArming } from './fault-arming';
import type { Confirmed, FaultConfirmation } from './fault-confirmation';
import type { FaultJobs } from './fault-jobs.service';
import type { FaultRelease } from './fault-release';
import type { LeaseLedger } from './lease-ledger';
import type { RunControl } from './run-control';
import type { RunState } from './run-state';
import type { SafetyLeverGuard } from './safety-lever.guard';
import type { SteadyStateWatch } from './steady-state-watch';
import type { StepLanes } from './step-lanes';
import type { UnrecordedReverts } from './unrecorded-reverts';
import type { WebhookNotifier } from './webhook-notifier';

/** What the executor works with, for every run. */
export interface RunnerDeps {
  runs: RunRepository;
  samples: ProbeSampleRepository;
  driver: FaultDriver;
  leases: LeaseRepository;
  faultJobs: FaultJobs;
  notifier: WebhookNotifier;
  metrics: GameDayMetrics;
  clock: Clock;
  config: AppConfig;
  egress: EgressGuard;
  safetyLever: SafetyLeverGuard;
  unrecorded: UnrecordedReverts;
  confirm: FaultConfirmation;
  ledger: LeaseLedger;
  arming: FaultArming;
  release: FaultRelease;
}

/** One experiment of a run as its phases drive it: what is planned, and what really happened so far. */
export interface ExperimentContext {
  readonly deps: RunnerDeps;
  readonly runId: string;
  readonly spec: GameDaySpec;
  readonly index: number;
  readonly exp: ExperimentSpec;
  readonly ep: ExperimentPlan;
  readonly state: RunState;
  readonly control: RunControl;
  readonly watch: SteadyStateWatch;
  /** a lease row of this experiment is on record (reverted or not): it was armed, never arm twice */
  armed: boolean;
  /** every lease of the experiment this worker knows (armed, in place or reverted by its step) */
  leases: FaultLease[];
  /** the leases whose fault is in place now (applied and not yet reverted by its step) */
  readonly live: Set<string>;
  /** its faults as armed: the one `fault`, or each step with its own T0/T1 (empty when resumed) */
  steps: ArmedStep[];
  /** the steps firing at their instants, from the window's start */
  lanes: StepLanes | null;
  readonly prepared: PreparedFault[];
  // what really happened, for the windows the verdict judges
  armedAt: number | null;
  applied: Confirmed | null;
  reverted: Confirmed | null;
  /** faults reverted from memory at T1, recorded once Postgres answers */
  early: ReadonlyMap<string, RevertResult>;
  abortLatencyMs: number | null;
}

/** Where an experiment stands: `unarmed` until a lease of it is on record, then its run's status. */
export type PhaseKey = 'unarmed' | RunPhase;
/** What a phase hands on to: the next phase, or `ended` once the experiment's planned end passed. */
export type Step = PhaseKey | 'ended';
/** One phase of an experiment: does its work, moves the run on (RunState) and says what comes next. */
export type PhaseHandler = (ctx: ExperimentContext) => Promise<Step>;

export function stepOf(ctx: ExperimentContext): PhaseKey {
  if (!ctx.armed) return 'unarmed';
  // phases move a run only among RUN_PHASES: its end is written once its experiments are done
  return ctx.state.status as RunPhase;
}

export const dateOf = (ms: number) => new Date(ms);
export const nowMs = (ctx: ExperimentContext) => ctx.deps.clock.now().getTime();

export function labelsOf(ctx: ExperimentContext): { gameday: string; experiment: string } {
  return { gameday: ctx.spec.name, experiment: ctx.exp.name };
}

/** The fault-active gauge of every target of the experiment. */
export function setFaultActive(ctx: ExperimentContext, on: 0 | 1): void {
  for (const l of ctx.leases) ctx.deps.metrics.faultActive.set({ ...labelsOf(ctx), target: l.containerName }, on);
}

/** The leases not yet confirmed reverted by their step's own end (all of them for a resumed run). */
export function unendedLeases(ctx: ExperimentContext): FaultLease[] {
  const ended = new Set(ctx.steps.flatMap((s) => (s.reverted ? s.leases.map((l) => l.id) : [])));
  return ctx.leases.filter((l) => !ended.has(l.id));
}

/** The leases whose fault is in place now. */
export function liveLeases(ctx: ExperimentContext): FaultLease[] {
  return ctx.leases.filter((l) => ctx.live.has(l.id));
}
