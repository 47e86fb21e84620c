import type {
  BlackholeExpected,
  CompiledBlackhole,
  DryRunTarget,
  FaultLease,
  PreparedFault,
  ResolvedPeer,
} from '@gameday/core';
import { armedPart, kindFields, kindPart } from '../kind-part';

/** What a blackhole (or a partition's side) arms: its rules, compiled for the iptables variant the probe chose. */
export type BlackholeArmed = CompiledBlackhole;

/**
 * The rules' part of a lease, whichever kind asked for them: the variant, our chains and the rule
 * lines verification expects, and each peer with the addresses it was resolved to when armed
 * (never resolved again).
 */
export interface BlackholeLeasePart {
  blackhole: BlackholeExpected;
  peers?: ResolvedPeer[];
}

export const blackholeArmed = (prepared: Pick<PreparedFault, 'armed'>): BlackholeArmed =>
  armedPart<BlackholeArmed>(prepared, 'a blackhole prepared without its rules');

export const blackholePart = (lease: Pick<FaultLease, 'details'>) => kindPart<BlackholeLeasePart>(lease);

/** What a blackhole's dry run shows of a target beside its plan: each named peer → the addresses it resolves to now (arming resolves again). */
export interface BlackholeDryRunPart {
  peers?: ResolvedPeer[];
}

export const blackholeDryRun = (target: DryRunTarget) => kindFields<BlackholeDryRunPart>(target);
