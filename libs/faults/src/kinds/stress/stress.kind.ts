import { stressNgArgv, type StressFaultSpec, type StressPlan } from '@gameday/core';
import { inspectOrNull } from '../../engine/docker-exec';
import type { FaultKind } from '../fault-kind';
import { helperCapabilities, helperPlanClock } from '../helper-clock';
import { armStress, planForTarget, StressRefusedError } from './stress-arm';
import { stressArmed, type StressArmed, type StressLeasePart } from './stress-part';
import { revertStress } from './stress-revert';
import { verifyStressLease } from './stress-verify';

/** The stress-ng words the helper runs, its --timeout (T1 - T0 + 2 s) known only at hand-over. */
const stressWords = (plan: StressPlan): string[] =>
  stressNgArgv(plan, 0).map((w, i, a) => (a[i - 1] === '--timeout' ? '<T1 - T0 + 2 s>' : w));

const stressClock = helperPlanClock<StressFaultSpec, StressArmed, StressLeasePart>({
  command: 'stressplan',
  words: (prepared) => {
    const p = stressArmed(prepared);
    return [p.cgroupPath, p.cpuWorkers, p.cpuLoad, p.memoryMb, p.ioWorkers ?? 0, p.ioMb ?? 0].map(String);
  },
  details: (prepared) => ({ kindPart: { stress: stressArmed(prepared) } }),
  notApplied: 'did not start stress-ng',
});

/**
 * CPU and memory stress: stress-ng in the target's own cgroup (its limits apply to it, and its
 * counters show it), started at T0 and killed at T1 by a sidecar helper's clock, with stress-ng's
 * own --timeout as a second clock. The helper has no capability and no network; it has the
 * engine's cgroup filesystem and a PID namespace of its own (stress-ng dies with it). Verify reads
 * the processes and their cgroup back; revert stops them through the helper.
 */
export const stressKind: FaultKind<StressFaultSpec, StressArmed, StressLeasePart> = {
  name: 'stress',
  // a cgroup per container: two containers sharing a network namespace are two targets
  dedupeNetns: false,
  capabilities: () => helperCapabilities(),

  async dryRunTarget(engine, spec, target) {
    const base = {
      target,
      strategy: 'sidecar' as const,
      runner: ['docker', 'exec', `<stress helper, stress-ng in the cgroup of ${target.containerName}>`],
      verify: [['gameday-helper', 'stresscheck']],
      revert: [['gameday-helper', 'revert']],
    };
    try {
      const plan = planForTarget(spec, await inspectOrNull(engine.docker, target.containerId), target.containerName);
      return {
        ...base,
        apply: [stressWords(plan)],
        warnings: ['nothing runs by a dry run; at T0 the helper starts this in the target cgroup and kills it at T1'],
      };
    } catch (err) {
      if (!(err instanceof StressRefusedError)) throw err;
      return { ...base, apply: [], warnings: [`arming would refuse this fault: ${err.detail}`] };
    }
  },

  prepare: armStress,

  draftLease(prepared) {
    return {
      kind: 'stress',
      applyArgv: [stressWords(stressArmed(prepared))],
      // nothing is run from the row: the helper stops stress-ng, and its removal kills it
      revertArgv: [],
      verifyArgv: null,
      details: {
        kindPart: { stress: stressArmed(prepared) },
        selfExpiryAt: new Date(prepared.expiresAt.getTime() + prepared.graceMs).toISOString(),
        clockCorrectionMs: prepared.clockOffset?.correctionMs ?? 0,
      },
    };
  },

  ...stressClock,

  verify: verifyStressLease,
  revert: revertStress,
};
