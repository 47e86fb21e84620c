import type { CompiledNetworkFault, ExpectedTree, FaultLease, PreparedFault } from '@gameday/core';
import { armedPart, kindPart } from '../kind-part';

/** What a network fault arms: its tc steps compiled (apply, undo, verify, revert, the expected tree). */
export type NetworkArmed = CompiledNetworkFault;

/** A network fault's part of its lease: the qdisc tree verify expects, and revert must leave none of. */
export interface NetworkLeasePart {
  expected: ExpectedTree;
}

export const networkArmed = (prepared: Pick<PreparedFault, 'armed'>): NetworkArmed =>
  armedPart<NetworkArmed>(prepared, 'a network fault prepared without its steps');

export const networkPart = (lease: Pick<FaultLease, 'details'>) => kindPart<NetworkLeasePart>(lease);
