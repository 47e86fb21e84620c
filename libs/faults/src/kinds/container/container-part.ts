import type { ContainerFaultSpec, FaultLease } from '@gameday/core';
import { kindPart } from '../kind-part';

/**
 * The watchdog armed with a container fault (its container is the lease's helperContainerId). It
 * unpauses or starts the target at `engineDeadlineMs` (the planned end in the engine's clock;
 * `deadlineAt` in the worker's) unless told to stand down, and only while the target is still the
 * run of it started at `startedAt`.
 */
export interface ContainerWatchdog {
  armingId: string;
  deadlineAt: string;
  engineDeadlineMs: number;
  startedAt: string;
}

/** What a container fault arms: its watchdog (a pause, stop or kill with a planned end still ahead). */
export interface ContainerArmed {
  watchdog: ContainerWatchdog;
}

/** A container fault's part of its lease: the action taken, so revert knows its inverse, and its watchdog. */
export interface ContainerLeasePart {
  action: ContainerFaultSpec['action'];
  signal?: string;
  watchdog?: ContainerWatchdog;
}

export const containerPart = (lease: Pick<FaultLease, 'details'>) => kindPart<ContainerLeasePart>(lease);
