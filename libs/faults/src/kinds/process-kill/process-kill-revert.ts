import { FaultStepError, type FaultLease, type RevertResult } from '@gameday/core';
import type { FaultEngine } from '../../engine/fault-engine';
import { parseKeyValues } from '../../engine/helper-protocol';
import { HelperRunner } from '../../engine/step-runner';

/** Reasons that end a fault before its time: the helper gets a signal, not only an exec. */
const URGENT_REASONS: ReadonlySet<string> = new Set(['abort', 'guardrail']);
const STILL_ON: ReadonlySet<string> = new Set(['armed', 'applying', 'applied']);

/**
 * Ends a process kill: a signal sent cannot be taken back, so what a revert removes is the plan,
 * that is the repetition still to come (or the kill at T0 not made yet). Through the helper that
 * holds it: USR2 through the Docker API first for aborts (no exec on that path), then
 * `gameday-helper revert`, which stops gameday-kill and confirms. No helper running: nothing is
 * left that could signal (its processes die with its container), so it is already gone; the
 * helper container itself is removed by release, as for every kind.
 */
export async function revertProcessKill(engine: FaultEngine, lease: FaultLease, reason: string): Promise<RevertResult> {
  const helper = await engine.helperOf(lease);
  if (!helper?.State?.Running)
    return {
      outcome: 'already_gone',
      at: engine.now(),
      details: [`no helper of ${lease.containerName} is running: nothing signals any more`],
    };
  const signalled =
    URGENT_REASONS.has(reason) &&
    (await engine.docker
      .getContainer(helper.Id)
      .kill({ signal: 'SIGUSR2' })
      .then(
        () => true,
        () => false,
      ));
  const runner = new HelperRunner(engine.docker, helper.Id);
  const r = await runner.run([
    'gameday-helper',
    'revert',
    reason.replace(/[^a-zA-Z0-9_.-]/g, '_').slice(0, 40) || 'manual',
  ]);
  if (r.exitCode !== 0) throw new FaultStepError(['gameday-helper', 'revert'], r.exitCode, r.stderr, false);
  const kv = parseKeyValues(r.stdout);
  if (STILL_ON.has(kv.state))
    throw new Error(`the helper of ${lease.containerName} is still ${kv.state} after its revert`);
  const bySignal = signalled && kv.was === 'reverted' && kv.revert_reason === 'signal';
  // a repetition that ended by the helper's clock (or the signal just now) ended at its instant
  const at =
    kv.was === 'reverted' && /^[1-9]\d*$/.test(kv.reverted_at ?? '')
      ? new Date(Number(kv.reverted_at) - (lease.details?.clockCorrectionMs ?? 0))
      : engine.now();
  return { outcome: bySignal || kv.was === 'applied' ? 'reverted' : 'already_gone', at, details: [] };
}
