import {
  assertLedgerArgv,
  FaultStepError,
  verifyDns,
  verifyDnsReverted,
  type FaultLease,
  type VerifyOutcome,
} from '@gameday/core';
import { inspectOrNull } from '../../engine/docker-exec';
import type { FaultEngine } from '../../engine/fault-engine';
import type { StepRunner } from '../../engine/step-runner';
import { dnsPart } from './dns-part';

/** Runs the lease's verify argv (allow-listed) in order: the nat table, then the resolver check. */
async function readBack(lease: FaultLease, runner: StepRunner, count: number): Promise<string[]> {
  const outputs: string[] = [];
  for (const argv of (lease.verifyArgv ?? []).slice(0, count)) {
    assertLedgerArgv(argv, 'verify');
    const r = await runner.run(argv);
    if (r.exitCode !== 0) throw new FaultStepError(argv, r.exitCode, r.stderr, false);
    outputs.push(r.stdout);
  }
  return outputs;
}

/** Reads the nat table and the resolver back through the helper: our rules in place and it answering. */
export async function verifyDnsLease(engine: FaultEngine, lease: FaultLease): Promise<VerifyOutcome> {
  const expected = dnsPart(lease).dns;
  if (!expected) return { ok: false, reasons: ['lease has no expected dns rules'] };
  const info = await inspectOrNull(engine.docker, lease.containerId);
  if (!info?.State?.Running) return { ok: false, reasons: [`target ${lease.containerName} is not running`] };
  const [nat, check] = await readBack(lease, await engine.helperRunner(lease), 2);
  return verifyDns(expected, nat ?? '', check ?? '');
}

/** Throws unless none of our chain, rules or jump is left, read through the runner that reverted. */
export async function confirmDnsReverted(engine: FaultEngine, lease: FaultLease, runner: StepRunner): Promise<void> {
  const expected = dnsPart(lease).dns;
  if (!expected) return;
  const info = await inspectOrNull(engine.docker, lease.containerId);
  if (!info?.State?.Running) return;
  const [nat] = await readBack(lease, runner, 1);
  const check = verifyDnsReverted(expected, nat ?? '');
  if (!check.ok)
    throw new Error(`revert of ${lease.containerName} left our nat rules behind: ${check.reasons.join('; ')}`);
}
