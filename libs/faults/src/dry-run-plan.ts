import type { DryRunResult, FaultSpec, TargetResolution } from '@gameday/core';
import type { FaultEngine } from './engine/fault-engine';
import { faultKind } from './kinds/fault-kind.registry';

/** What a fault would do to the resolved targets: the exact argv per target, nothing applied. */
export async function dryRunOf(
  engine: FaultEngine,
  spec: FaultSpec,
  resolution: TargetResolution,
): Promise<DryRunResult> {
  const kind = faultKind(spec.kind);
  return {
    kind: spec.kind,
    targets: await Promise.all(resolution.targets.map((target) => kind.dryRunTarget(engine, spec, target))),
    refused: resolution.refused,
    deduplicated: resolution.deduplicated,
    selection: resolution.selection,
  };
}
