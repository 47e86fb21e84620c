import type { ArmedStressPlan, FaultLease, PreparedFault } from '@gameday/core';
import { armedPart, kindPart } from '../kind-part';

/** What a stress arms: the plan's numbers and the target's cgroup the arming probe found. */
export type StressArmed = ArmedStressPlan;

/** A stress's part of its lease: what the helper runs and the target's cgroup it runs in (relative to the cgroup root). */
export interface StressLeasePart {
  stress: ArmedStressPlan;
}

export const stressArmed = (prepared: Pick<PreparedFault, 'armed'>): StressArmed =>
  armedPart<StressArmed>(prepared, 'a stress fault prepared without its plan');

export const stressPart = (lease: Pick<FaultLease, 'details'>) => kindPart<StressLeasePart>(lease);
