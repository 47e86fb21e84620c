import {
  assertLedgerArgv,
  FaultStepError,
  TargetGoneError,
  verifyQdiscs,
  verifyReverted,
  type FaultLease,
  type VerifyOutcome,
} from '@gameday/core';
import { inspectOrNull } from '../../engine/docker-exec';
import type { FaultEngine } from '../../engine/fault-engine';
import type { StepRunner } from '../../engine/step-runner';
import { networkPart } from './network-part';

async function readQdiscs(lease: FaultLease, runner: StepRunner): Promise<string[]> {
  const outputs: string[] = [];
  for (const argv of lease.verifyArgv ?? []) {
    assertLedgerArgv(argv, 'verify');
    const r = await runner.run(argv);
    if (r.exitCode === 0) outputs.push(r.stdout);
    // A vanished device (our IFB after revert) or a filter parent that is gone: nothing of ours there.
    else if (/Cannot find device|does not exist/i.test(r.stderr) || argv[2] === 'filter') outputs.push('[]');
    else throw new FaultStepError(argv, r.exitCode, r.stderr, false);
  }
  return outputs;
}

/**
 * Reads the lease's qdiscs and filters back from the target's netns (through `runner`, or however
 * its strategy gets there) and compares them with the expected tree: all of it in place
 * (`applied`), or none of ours left (`reverted`).
 */
export async function verifyNetwork(
  engine: FaultEngine,
  lease: FaultLease,
  want: 'applied' | 'reverted',
  runner?: StepRunner,
): Promise<VerifyOutcome> {
  const { expected } = networkPart(lease);
  if (!expected) return { ok: false, reasons: ['lease has no expected tree'] };
  const info = await inspectOrNull(engine.docker, lease.containerId);
  if (!info?.State?.Running)
    return want === 'reverted'
      ? { ok: true }
      : { ok: false, reasons: [`target ${lease.containerName} is not running`] };
  let outputs: string[];
  if (runner) outputs = await readQdiscs(lease, runner);
  else if (lease.strategy === 'sidecar') outputs = await readQdiscs(lease, await engine.helperRunner(lease));
  else {
    try {
      outputs = await engine.inArmedNetns(lease.strategy, lease, (r) => readQdiscs(lease, r), info);
    } catch (err) {
      if (!(err instanceof TargetGoneError)) throw err;
      return { ok: false, reasons: [`target_gone: ${err.detail}`] };
    }
  }
  return want === 'applied' ? verifyQdiscs(expected, outputs) : verifyReverted(expected, outputs);
}

/** Throws unless none of our qdiscs (nor our IFB) is left, read through the runner that reverted. */
export async function confirmReverted(engine: FaultEngine, lease: FaultLease, runner: StepRunner): Promise<void> {
  const check = await verifyNetwork(engine, lease, 'reverted', runner);
  if (!check.ok)
    throw new Error(`revert of ${lease.containerName} left our qdiscs behind: ${check.reasons.join('; ')}`);
}
