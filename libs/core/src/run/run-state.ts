/**
 * The run lifecycle. Postgres holds the state; this module only says which moves are legal so
 * every writer (runner, abort endpoint, reaper) agrees.
 */
export const RUN_PHASES = [
  'scheduled',
  'arming',
  'baseline',
  'injecting',
  'observing',
  'rolling_back',
  'recovery',
] as const;
export const RUN_TERMINAL = ['completed', 'aborted', 'failed', 'cancelled', 'skipped'] as const;
/** Every status a run can have: its phases in order, then the ways it ends. */
export const RUN_STATUSES = [...RUN_PHASES, ...RUN_TERMINAL] as const;

export type RunPhase = (typeof RUN_PHASES)[number];
export type RunTerminal = (typeof RUN_TERMINAL)[number];
export type RunStatus = RunPhase | RunTerminal;

const NEXT: Record<RunPhase, readonly RunStatus[]> = {
  scheduled: ['arming', 'skipped', 'cancelled', 'failed'],
  // a run with several experiments goes back to arming after each recovery
  arming: ['baseline', 'failed', 'aborted', 'cancelled'],
  baseline: ['injecting', 'failed', 'aborted', 'cancelled'],
  injecting: ['observing', 'rolling_back', 'failed', 'aborted'],
  observing: ['rolling_back', 'aborted', 'failed'],
  rolling_back: ['recovery', 'aborted', 'failed'],
  recovery: ['arming', 'completed', 'aborted', 'failed'],
};

export function isTerminal(status: RunStatus): status is RunTerminal {
  return (RUN_TERMINAL as readonly string[]).includes(status);
}

/** Phases in which a fault may be applied: an abort must revert before the run can end. */
export function mayHoldFault(status: RunStatus): boolean {
  return status === 'injecting' || status === 'observing' || status === 'rolling_back';
}

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  if (isTerminal(from)) return false;
  return NEXT[from].includes(to);
}

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: RunStatus,
    readonly to: RunStatus,
  ) {
    super(`a run cannot move from ${from} to ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

export function assertTransition(from: RunStatus, to: RunStatus): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}
