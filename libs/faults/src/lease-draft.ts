import type { LeaseDraft, NewFaultLease, PreparedFault } from '@gameday/core';
import { faultKind } from './kinds/fault-kind.registry';

/**
 * The ledger row for a prepared fault, for the worker to record before anything is applied: engine,
 * container, netns, handle and the exact argv to apply, verify and revert (the kind drafts its own
 * part).
 */
export function leaseDraft(engine: string, prepared: PreparedFault, extra: Partial<NewFaultLease>): LeaseDraft {
  const { target } = prepared;
  const part = faultKind(prepared.spec.kind).draftLease(prepared);
  // the abort line's nonce goes with the helper that took the plan (whichever details win below)
  const nonce = prepared.helperContainerId && prepared.abortNonce ? { abortNonce: prepared.abortNonce } : {};
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
    ...part,
    ...extra,
    details: { ...(extra.details ?? part.details), ...nonce },
  };
}
