import type { DiskFillPlan, FaultLease, PreparedFault } from '@gameday/core';
import { armedPart, kindPart } from '../kind-part';

/** What a disk fill arms: the plan the arming probe judged (path, id, size, floor, the user it runs as). */
export type DiskFillArmed = DiskFillPlan;

/** A disk fill's part of its lease: the path, the file's id, the size asked and the figures arming judged it by. */
export interface DiskFillLeasePart {
  diskFill: DiskFillPlan;
}

export const diskFillArmed = (prepared: Pick<PreparedFault, 'armed'>): DiskFillArmed =>
  armedPart<DiskFillArmed>(prepared, 'a disk fill prepared without its plan');

export const diskFillPart = (lease: Pick<FaultLease, 'details'>) => kindPart<DiskFillLeasePart>(lease);
