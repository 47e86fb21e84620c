import type { CompiledReset, DryRunTarget, FaultLease, PreparedFault, ResolvedPeer } from '@gameday/core';
import { armedPart, kindFields, kindPart } from '../kind-part';

/** What a reset arms: its one step, with the peers as resolved when armed. */
export type ResetArmed = CompiledReset;

/** A reset's part of its lease: each peer and the addresses it was resolved to when armed. */
export interface ResetLeasePart {
  peers?: ResolvedPeer[];
}

export const resetArmed = (prepared: Pick<PreparedFault, 'armed'>): ResetArmed =>
  armedPart<ResetArmed>(prepared, 'a reset prepared without its step');

export const resetPart = (lease: Pick<FaultLease, 'details'>) => kindPart<ResetLeasePart>(lease);

/** What a reset's dry run shows of a target beside its plan: each named peer → the addresses it resolves to now. */
export interface ResetDryRunPart {
  peers?: ResolvedPeer[];
}

export const resetDryRun = (target: DryRunTarget) => kindFields<ResetDryRunPart>(target);
