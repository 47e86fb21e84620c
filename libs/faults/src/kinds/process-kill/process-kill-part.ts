import type { FaultLease, ProcessKillPlan } from '@gameday/core';
import { kindPart } from '../kind-part';

/** A process kill's part of its lease: the name, signal and repetition handed to the helper (verify judges its record by them). */
export interface ProcessKillLeasePart {
  processKill: ProcessKillPlan;
}

export const processKillPart = (lease: Pick<FaultLease, 'details'>) => kindPart<ProcessKillLeasePart>(lease);
