import {
  compileNetworkFault,
  FaultStepError,
  rollbackSteps,
  type CompiledNetworkFault,
  type LeaseDetails,
  type NetworkFaultSpec,
} from '@gameday/core';
import type { FaultEngine } from '../../engine/fault-engine';
import { applyNowViaHelper } from '../../engine/helper-handover';
import type { StepRunner } from '../../engine/step-runner';
import type { FaultKind } from '../fault-kind';
import { helperCapabilities, helperSchedule } from '../helper-clock';
import { armNetwork } from './network-arm';
import { networkArmed, type NetworkArmed, type NetworkLeasePart } from './network-part';
import { revertNetwork } from './network-revert';
import { verifyNetwork } from './network-verify';

/** What verify and revert read back (the expected tree), with the compile's warnings. */
const rulesDetails = (compiled: CompiledNetworkFault): LeaseDetails<NetworkLeasePart> => ({
  kindPart: { expected: compiled.expected },
  warnings: compiled.warnings,
});

/**
 * Network faults (netem, optionally scoped or on ingress) through tc in the target's network
 * namespace: compiled in core, applied by the helper (sidecar, which keeps the fault's clock) or
 * from the worker (exec, nsenter, guarded by a watchdog helper), read back from the kernel.
 */
export const networkKind: FaultKind<NetworkFaultSpec, NetworkArmed, NetworkLeasePart> = {
  name: 'network',
  // one netns, one qdisc tree: two containers sharing it are one target
  dedupeNetns: true,
  // exec and nsenter: the worker applies and reverts, a watchdog helper only backs it up
  capabilities: ({ strategy }) => helperCapabilities(strategy === 'sidecar' ? 'helper' : 'worker'),

  dryRunTarget(engine, spec, target) {
    const compiled = compileNetworkFault(spec, engine.options.compile);
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
  },

  prepare: armNetwork,

  draftLease(prepared) {
    const compiled = networkArmed(prepared);
    return {
      kind: 'network',
      device: compiled.device,
      handle: compiled.handle,
      applyArgv: compiled.apply,
      verifyArgv: compiled.verify,
      revertArgv: compiled.revert,
      details: {
        ...rulesDetails(compiled),
        selfExpiryAt: new Date(prepared.expiresAt.getTime() + prepared.graceMs).toISOString(),
        clockCorrectionMs: prepared.clockOffset?.correctionMs ?? 0,
        ...(prepared.target.netnsInode ? { netnsInode: prepared.target.netnsInode } : {}),
      },
    };
  },

  async apply(engine, prepared, lease) {
    if (prepared.strategy === 'sidecar') {
      await engine.assertArmedNetns(lease);
      return applyNowViaHelper(engine, prepared, networkArmed(prepared));
    }
    return engine.inArmedNetns(prepared.strategy, lease, (runner) =>
      applyDirect(engine, networkArmed(prepared), runner),
    );
  },

  // a failed step is rolled back by apply itself (FaultStepError.rolledBack): nothing else is known
  nothingApplied: () => false,

  schedule: helperSchedule({
    steps: networkArmed,
    details: (prepared) => rulesDetails(networkArmed(prepared)),
  }),

  verify: (engine, lease) => verifyNetwork(engine, lease, 'applied'),
  revert: revertNetwork,
};

async function applyDirect(engine: FaultEngine, compiled: NetworkArmed, runner: StepRunner): Promise<Date> {
  for (let i = 0; i < compiled.apply.length; i++) {
    const r = await runner.run(compiled.apply[i]);
    if (r.exitCode !== 0) {
      for (const undo of rollbackSteps(compiled.undo, i)) await runner.run(undo).catch(() => undefined);
      throw new FaultStepError([...runner.prefix, ...compiled.apply[i]], r.exitCode, r.stderr, true);
    }
  }
  return engine.now();
}
