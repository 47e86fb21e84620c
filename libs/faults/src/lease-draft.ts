import type { LeaseDraft, NewFaultLease, PreparedFault } from '@gameday/core';
import { faultKind } from './kinds/fault-kind.registry';

/**
 * The ledger row for a prepared fault, for the worker to record before anything is applied: engine,
 * container, netns, handle and the exact argv to apply, verify and revert (the kind drafts its own
 * part).
 */
export function leaseDraft(engine: string, prepared: PreparedFault, extra: Partial<NewFaultLease>): LeaseDraft {
  const { target } = prepared;
  return {
    runId: prepared.runId ?? null,
    experimentIndex: prepared.experimentIndex,
    strategy: prepared.strategy,
    engine,
    containerId: target.containerId,
    containerName: target.containerName,
    netnsId: target.netnsId,
    expiresAt: prepared.expiresAt,
    helperContainerId: prepared.helperContainerId ?? null,
    ...faultKind(prepared.spec.kind).draftLease(prepared),
    ...extra,
  };
}
