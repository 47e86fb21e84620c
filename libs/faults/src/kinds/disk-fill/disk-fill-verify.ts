import {
  FaultStepError,
  parseFillCheck,
  parseFillSummary,
  verifyDiskFill,
  type DiskFillPlan,
  type FaultLease,
  type FillCheck,
  type VerifyOutcome,
} from '@gameday/core';
import { execInContainer, inspectOrNull } from '../../engine/docker-exec';
import type { FaultEngine } from '../../engine/fault-engine';
import { parseKeyValues } from '../../engine/helper-protocol';
import type { StepRunner } from '../../engine/step-runner';
import { diskFillPart } from './disk-fill-part';

/** `gameday-fill check PATH ID` through a helper in the target's PID namespace. */
export async function checkFill(runner: StepRunner, plan: Pick<DiskFillPlan, 'path' | 'id'>): Promise<FillCheck> {
  const argv = ['gameday-fill', 'check', plan.path, plan.id];
  const r = await runner.run(argv);
  if (r.exitCode !== 0) throw new FaultStepError(argv, r.exitCode, r.stderr, false);
  return parseFillCheck(parseKeyValues(r.stdout));
}

/**
 * Reads a disk fill back: the helper is in its window and the file is in the target at the size
 * the helper created, as stat shows it through /proc/1/root (allocated blocks too).
 */
export async function verifyDiskFillLease(engine: FaultEngine, lease: FaultLease): Promise<VerifyOutcome> {
  const plan = diskFillPart(lease).diskFill;
  if (!plan) return { ok: false, reasons: ['lease has no disk-fill plan'] };
  const info = await inspectOrNull(engine.docker, lease.containerId);
  if (!info?.State?.Running) return { ok: false, reasons: [`target ${lease.containerName} is not running`] };
  const helper = await engine.helperOf(lease);
  if (!helper?.State?.Running)
    return { ok: false, reasons: [`the helper of ${lease.containerName} is not running: nothing holds the fill`] };
  const r = await execInContainer(engine.docker, helper.Id, ['gameday-helper', 'status']);
  if (r.exitCode !== 0) throw new FaultStepError(['gameday-helper', 'status'], r.exitCode, r.stderr, false);
  const kv = parseKeyValues(r.stdout);
  const check = await checkFill({ prefix: [], run: (argv) => execInContainer(engine.docker, helper.Id, argv) }, plan);
  return verifyDiskFill({ state: kv.state ?? 'unknown', summary: parseFillSummary(kv), check }, plan);
}
