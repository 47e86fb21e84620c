import {
  fillFilePath,
  fillRemoveArgv,
  type DiskFillFaultSpec,
  type DiskFillPlan,
  type FillProbe,
  type LeaseDetails,
  type PreparedFault,
  type ResolvedTarget,
} from '@gameday/core';
import { HelperRunner } from '../../engine/step-runner';
import { inspectOrNull } from '../../engine/docker-exec';
import type { FaultEngine } from '../../engine/fault-engine';
import type { FaultKind } from '../fault-kind';
import { helperCapabilities, helperPlanClock } from '../helper-clock';
import {
  armDiskFill,
  DiskFillRefusedError,
  fillNamespaceRefusal,
  FillRunAsError,
  planForProbe,
  probeFillPath,
} from './disk-fill-arm';
import { diskFillArmed, type DiskFillArmed, type DiskFillLeasePart } from './disk-fill-part';
import { revertDiskFill } from './disk-fill-revert';
import { verifyDiskFillLease } from './disk-fill-verify';

const HELPER_STATE_DIR = '/var/lib/gameday';

/** What runs in the helper: gameday-fill, with the instants filled in when the plan is handed over. */
const fillArgv = (plan: DiskFillPlan): string[] => [
  'gameday-fill',
  'run',
  '<T0 ms>',
  '<T1 ms>',
  '<expiry ms>',
  HELPER_STATE_DIR,
  plan.path,
  plan.id,
  plan.mode,
  String(plan.value),
  String(plan.floorBytes),
];

/**
 * The path and its filesystem can only be read from inside: a short-lived helper, as arming
 * starts (as the target's user when it is not root), for a dry run.
 */
async function probeOnce(engine: FaultEngine, target: ResolvedTarget, path: string, user?: string): Promise<FillProbe> {
  const helperId = await engine.helpers.create(target, [], 'fill', user);
  try {
    return await probeFillPath(new HelperRunner(engine.docker, helperId), path, target.containerName);
  } catch (err) {
    if (err instanceof FillRunAsError && !user) return probeOnce(engine, target, path, err.user);
    throw err;
  } finally {
    await engine.helpers.remove(helperId);
  }
}

const leaseDetails = (prepared: PreparedFault<DiskFillArmed>): LeaseDetails<DiskFillLeasePart> => ({
  kindPart: { diskFill: diskFillArmed(prepared) },
  clockCorrectionMs: prepared.clockOffset?.correctionMs ?? 0,
});

const fillClock = helperPlanClock<DiskFillFaultSpec, DiskFillArmed, DiskFillLeasePart>({
  command: 'fillplan',
  words: (prepared) => {
    const p = diskFillArmed(prepared);
    return [p.path, p.id, p.mode, String(p.value), String(p.floorBytes)];
  },
  details: leaseDetails,
  notApplied: 'did not create the fill file',
});

/**
 * Disk fills: a file `<path>/.gameday-fill-<id>` in the target's own filesystem view, created at
 * T0 (fallocate, its size computed then from statfs) and removed at T1 by a sidecar helper in the
 * target's PID namespace (no network, no added capability), through /proc/1/root. A filesystem
 * shared with the engine keeps a floor of free space. Verify stats the file back; revert removes
 * it through the helper, or from the ledger row with a fresh helper.
 */
export const diskFillKind: FaultKind<DiskFillFaultSpec, DiskFillArmed, DiskFillLeasePart> = {
  name: 'disk-fill',
  // a filesystem per container: two containers sharing a network namespace are two targets
  dedupeNetns: false,
  capabilities: () => helperCapabilities(),

  async dryRunTarget(engine, spec, target) {
    const base = {
      target,
      strategy: 'sidecar' as const,
      runner: ['docker', 'exec', `<helper in the PID namespace of ${target.containerName}>`],
      verify: [['gameday-fill', 'check', spec.path, '<id>']],
      revert: [['gameday-fill', 'rm', spec.path, '<id>']],
    };
    const refusal = fillNamespaceRefusal(await inspectOrNull(engine.docker, target.containerId), target.containerName);
    if (refusal) return { ...base, apply: [], warnings: [`arming would refuse this fault: ${refusal}`] };
    try {
      const plan = planForProbe(spec, await probeOnce(engine, target, spec.path), target.containerName);
      return {
        ...base,
        apply: [fillArgv(plan)],
        warnings: [
          `nothing is created by a dry run; at T0 the helper creates ${fillFilePath({ path: plan.path, id: '<id>' })} ` +
            `(about ${Math.round(plan.bytes / 1048576)} MB now; ${plan.own ? `a filesystem of the target's own (${plan.ownWhy})` : `shared with the engine (${plan.ownWhy}): ${Math.floor(plan.floorBytes / 1048576)} MB stay free`}) and removes it at T1`,
        ],
      };
    } catch (err) {
      if (!(err instanceof DiskFillRefusedError)) throw err;
      return { ...base, apply: [], warnings: [`arming would refuse this fault: ${err.message}`] };
    }
  },

  prepare: armDiskFill,

  draftLease(prepared) {
    const plan = diskFillArmed(prepared);
    return {
      kind: 'disk-fill',
      applyArgv: [fillArgv(plan)],
      // what the reaper runs from the row in a fresh helper: exactly this file, nothing else
      revertArgv: [fillRemoveArgv(plan)],
      verifyArgv: null,
      details: {
        ...leaseDetails(prepared),
        selfExpiryAt: new Date(prepared.expiresAt.getTime() + prepared.graceMs).toISOString(),
      },
    };
  },

  ...fillClock,

  verify: verifyDiskFillLease,
  revert: revertDiskFill,
};
