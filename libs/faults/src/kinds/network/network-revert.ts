import type { FaultLease, RevertResult } from '@gameday/core';
import type { FaultEngine } from '../../engine/fault-engine';
import { revertInNetns } from '../../engine/netns-revert';
import { confirmReverted } from './network-verify';

/** Reverts a network fault: the common netns revert, confirmed by reading our qdiscs back. */
export function revertNetwork(engine: FaultEngine, lease: FaultLease, reason: string): Promise<RevertResult> {
  return revertInNetns(engine, lease, reason, { confirmReverted });
}
