import type { FaultLease, PreparedFault } from '@gameday/core';
import { containerSteps } from './container-faults';

/**
 * The ledger row for a prepared fault, before anything is applied: engine, container, netns,
 * handle and the exact argv to apply, verify and revert.
 */
export function leaseDraft(
  engine: string,
  prepared: PreparedFault,
  extra: Partial<FaultLease>,
): Omit<FaultLease, 'id' | 'revertedAt' | 'revertReason' | 'revertAttempts' | 'lastError'> {
  const { target } = prepared;
  const common = {
    runId: prepared.runId ?? null,
    experimentIndex: prepared.experimentIndex,
    strategy: prepared.strategy,
    engine,
    containerId: target.containerId,
    containerName: target.containerName,
    netnsId: target.netnsId,
    expiresAt: prepared.expiresAt,
    helperContainerId: prepared.helperContainerId ?? null,
  };
  if (prepared.spec.kind === 'container') {
    const c = containerSteps(prepared.spec, target.containerId);
    return {
      ...common,
      kind: 'container',
      applyArgv: [c.apply],
      revertArgv: [c.revert],
      verifyArgv: null,
      details: { action: prepared.spec.action, signal: prepared.spec.signal },
      ...extra,
    };
  }
  const compiled = prepared.compiled!;
  return {
    ...common,
    kind: 'network',
    device: compiled.device,
    handle: compiled.handle,
    applyArgv: compiled.apply,
    verifyArgv: compiled.verify,
    revertArgv: compiled.revert,
    details: {
      expected: compiled.expected,
      warnings: compiled.warnings,
      selfExpiryAt: new Date(prepared.expiresAt.getTime() + prepared.graceMs).toISOString(),
      clockCorrectionMs: prepared.clockOffset?.correctionMs ?? 0,
      ...(target.netnsInode ? { netnsInode: target.netnsInode } : {}),
    },
    ...extra,
  };
}
