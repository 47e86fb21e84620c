import {
  assertLedgerArgv,
  FaultStepError,
  verifyBlackhole,
  verifyBlackholeReverted,
  type FaultLease,
  type VerifyOutcome,
} from '@gameday/core';
import { inspectOrNull } from '../../engine/docker-exec';
import type { FaultEngine } from '../../engine/fault-engine';
import { parseHelperStatus } from '../../engine/helper-protocol';
import type { StepRunner } from '../../engine/step-runner';
import { blackholePart } from './blackhole-part';

/** The filter table as `iptables -S` prints it, read with the lease's own (allow-listed) argv. */
async function readRules(lease: FaultLease, runner: StepRunner): Promise<string> {
  const outputs: string[] = [];
  for (const argv of lease.verifyArgv ?? []) {
    assertLedgerArgv(argv, 'verify');
    const r = await runner.run(argv);
    if (r.exitCode !== 0) throw new FaultStepError(argv, r.exitCode, r.stderr, false);
    outputs.push(r.stdout);
  }
  return outputs.join('\n');
}

/**
 * Reads the target's filter table back through the helper (or `runner`) and compares it with the
 * lease's rules: all of ours in place (`applied`), or none left (`reverted`).
 */
export async function verifyBlackholeLease(
  engine: FaultEngine,
  lease: FaultLease,
  want: 'applied' | 'reverted',
  runner?: StepRunner,
): Promise<VerifyOutcome> {
  const expected = blackholePart(lease).blackhole;
  if (!expected) return { ok: false, reasons: ['lease has no expected rules'] };
  const info = await inspectOrNull(engine.docker, lease.containerId);
  if (!info?.State?.Running)
    return want === 'reverted'
      ? { ok: true }
      : { ok: false, reasons: [`target ${lease.containerName} is not running`] };
  const using = runner ?? (await engine.helperRunner(lease));
  const output = await readRules(lease, using);
  if (want === 'reverted') return verifyBlackholeReverted(expected, output);
  const rules = verifyBlackhole(expected, output);
  const reset = expected.reset ? await resetIssues(using) : [];
  if (!reset.length) return rules;
  return { ok: false, reasons: [...(rules.ok ? [] : rules.reasons), ...reset] };
}

/** resetEstablished: the helper's record says ss -K ran after the rules and succeeded. */
export async function resetIssues(runner: StepRunner): Promise<string[]> {
  const r = await runner.run(['gameday-helper', 'status']);
  if (r.exitCode !== 0) return [`cannot read the helper's record of the reset: ${r.stderr.trim()}`];
  const { reset } = parseHelperStatus(r.stdout);
  if (!reset) return ['the reset of established connections has not run'];
  return reset.status === 0
    ? []
    : [
        `the reset of established connections failed (status ${reset.status}: ss exit code, or 100 + errno when done in the helper's timer)`,
      ];
}

/** Throws unless none of our chains, rules or jumps is left, read through the runner that reverted. */
export async function confirmBlackholeReverted(
  engine: FaultEngine,
  lease: FaultLease,
  runner: StepRunner,
): Promise<void> {
  const check = await verifyBlackholeLease(engine, lease, 'reverted', runner);
  if (!check.ok)
    throw new Error(`revert of ${lease.containerName} left our iptables rules behind: ${check.reasons.join('; ')}`);
}
