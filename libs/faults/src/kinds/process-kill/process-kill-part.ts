import type { DryRunTarget, FaultLease, ProcessKillPlan } from '@gameday/core';
import { kindFields, kindPart } from '../kind-part';

/** A process kill's part of its lease: the name, signal and repetition handed to the helper (verify judges its record by them). */
export interface ProcessKillLeasePart {
  processKill: ProcessKillPlan;
}

export const processKillPart = (lease: Pick<FaultLease, 'details'>) => kindPart<ProcessKillLeasePart>(lease);

/** A process of the target, as `docker top` lists it (its PID as the engine's host sees it). */
export interface TargetProcess {
  pid: number;
  comm: string;
  /** why it is never signalled (the target's PID 1) */
  note?: string;
}

/** What a process kill's dry run shows of a target beside its plan: its processes of that name now. */
export interface ProcessKillDryRunPart {
  processes: TargetProcess[];
}

export const processKillDryRun = (target: DryRunTarget) => kindFields<ProcessKillDryRunPart>(target);
