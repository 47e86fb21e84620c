import {
  compileNetworkFault,
  type CompileNetworkFaultOptions,
  type DryRunResult,
  type DryRunTarget,
  type FaultSpec,
  type TargetResolution,
} from '@gameday/core';
import { containerSteps } from './container-faults';

/** What a fault would do to the resolved targets: the exact argv per target, nothing applied. */
export function dryRunOf(
  spec: FaultSpec,
  resolution: TargetResolution,
  compile?: CompileNetworkFaultOptions,
): DryRunResult {
  const targets: DryRunTarget[] = resolution.targets.map((target) => {
    if (spec.kind === 'container') {
      const c = containerSteps(spec, target.containerId);
      return {
        target,
        strategy: 'docker',
        runner: ['docker'],
        apply: [c.apply],
        verify: [['docker', 'inspect', target.containerId]],
        revert: [c.revert],
        warnings: [],
      };
    }
    const compiled = compileNetworkFault(spec, compile);
    const runner =
      spec.strategy === 'sidecar'
        ? ['docker', 'exec', `<helper in netns of ${target.containerName}>`]
        : spec.strategy === 'exec'
          ? ['docker', 'exec', '--privileged', target.containerId.slice(0, 12)]
          : ['nsenter', '-t', String(target.pid ?? '<pid>'), '-n', '--'];
    return {
      target,
      strategy: spec.strategy,
      runner,
      apply: compiled.apply,
      verify: compiled.verify,
      revert: compiled.revert,
      warnings: compiled.warnings,
    };
  });
  return {
    kind: spec.kind,
    targets,
    refused: resolution.refused,
    deduplicated: resolution.deduplicated,
    selection: resolution.selection,
  };
}
