import {
  assertLedgerArgv,
  fillFilePath,
  fillWarnings,
  parseFillSummary,
  type DiskFillPlan,
  type FaultLease,
  type RevertResult,
} from '@gameday/core';
import { execInContainer, inspectOrNull } from '../../engine/docker-exec';
import { targetOfLease, type FaultEngine } from '../../engine/fault-engine';
import { parseKeyValues } from '../../engine/helper-protocol';
import { cannotEnter, helperUp, revertHelperPlan } from '../../engine/helper-revert';
import { HelperRunner, type StepRunner } from '../../engine/step-runner';
import { fillNamespaceRefusal } from './disk-fill-arm';
import { diskFillPart } from './disk-fill-part';
import { checkFill } from './disk-fill-verify';

/** Runs the lease's own revert argv (allow-listed: `gameday-fill rm PATH ID`); how many removed a file. */
async function removeFromRow(runner: StepRunner, lease: FaultLease): Promise<number> {
  let removed = 0;
  for (const argv of lease.revertArgv) {
    assertLedgerArgv(argv, 'revert');
    const r = await runner.run(argv);
    if (r.exitCode !== 0) throw new Error(`${argv.join(' ')} failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
    if (parseKeyValues(r.stdout).removed === '1') removed++;
  }
  return removed;
}

/** Throws unless the file is gone, read through a helper in the target's PID namespace. */
async function confirmGone(runner: StepRunner, plan: DiskFillPlan, name: string): Promise<void> {
  if ((await checkFill(runner, plan)).exists)
    throw new Error(`${fillFilePath(plan)} is still in ${name} after its revert`);
}

/**
 * No helper of the lease runs (the reaper after a crash, or a helper removed): from the row alone.
 * A target removed took its writable layer and tmpfs along; a stopped one still has its layer
 * (the file waits there until it runs again: a failure, retried); a running one gets a fresh
 * helper in its PID namespace that runs the row's `gameday-fill rm PATH ID`.
 */
async function revertFromRow(engine: FaultEngine, lease: FaultLease, plan: DiskFillPlan): Promise<RevertResult> {
  const name = lease.containerName;
  const info = await inspectOrNull(engine.docker, lease.containerId);
  if (!info)
    return {
      outcome: 'already_gone',
      at: engine.now(),
      details: [
        plan.ownWhy === 'engine_device' || plan.ownWhy === 'own_device'
          ? `target ${name} is gone; ${plan.path} was a volume or bind mount, which outlives it: ${fillFilePath(plan)} may be left there (not removable without the container)`
          : `target ${name} is gone, and its filesystem (with the fill file) went with it`,
      ],
    };
  if (!info.State?.Running) {
    if (plan.ownWhy === 'tmpfs')
      return {
        outcome: 'already_gone',
        at: engine.now(),
        details: [`target ${name} is not running: its tmpfs at ${plan.path} went with it`],
      };
    throw new Error(`target ${name} is not running: ${fillFilePath(plan)} stays in its filesystem until it runs again`);
  }
  const refusal = fillNamespaceRefusal(info, name);
  if (refusal) throw new Error(refusal);
  for (const argv of lease.revertArgv) assertLedgerArgv(argv, 'revert');
  const helperId = await engine.helpers.create(targetOfLease(lease), [], 'fill', plan.runAs);
  try {
    const runner = new HelperRunner(engine.docker, helperId);
    // PID 1 must be the target's (else /proc/1/root is this helper's own root and "gone" proves nothing)
    const probe = await runner.run(['gameday-fill', 'probe', '/']);
    if (parseKeyValues(probe.stdout).pid1 !== 'other')
      throw new Error(`a helper in the PID namespace of ${name} does not see its init: ${probe.stderr.trim()}`);
    const removed = await removeFromRow(runner, lease);
    const at = engine.now();
    await confirmGone(runner, plan, name);
    return { outcome: removed > 0 ? 'reverted' : 'already_gone', at, details: [] };
  } finally {
    await engine.helpers.remove(helperId);
  }
}

/**
 * Ends a disk fill. With its helper running: through it (the stdin line or USR2 for aborts, then
 * `gameday-helper revert`; gameday-fill removes the file before it exits), then the file is
 * confirmed gone, and removed by the row's command if it is not (a helper restarted without its
 * record). Without: from the row alone (revertFromRow).
 */
export async function revertDiskFill(engine: FaultEngine, lease: FaultLease, reason: string): Promise<RevertResult> {
  const plan = diskFillPart(lease).diskFill;
  if (!plan) throw new Error('lease has no disk-fill plan');
  const helper = await engine.helperOf(lease);
  if (!helperUp(helper)) return revertFromRow(engine, lease, plan);
  try {
    const result = await revertHelperPlan(engine, lease, reason, 'no fill file is held any more', async (id) => {
      const r = await execInContainer(engine.docker, id, ['gameday-helper', 'status']).catch(() => null);
      return fillWarnings(r ? parseFillSummary(parseKeyValues(r.stdout)) : undefined);
    });
    const runner = new HelperRunner(engine.docker, helper.Id);
    if ((await checkFill(runner, plan)).exists) {
      await removeFromRow(runner, lease);
      await confirmGone(runner, plan, lease.containerName);
      return { ...result, outcome: 'reverted', at: engine.now() };
    }
    return result;
  } catch (error) {
    // the helper's PID namespace went with a restart of the target, the file stayed on its layer:
    // a fresh helper in the new namespace removes it rather than waiting for the old one to return
    if (cannotEnter(error)) return revertFromRow(engine, lease, plan);
    throw error;
  }
}
