import {
  assertLedgerArgv,
  FaultStepError,
  TargetGoneError,
  type AbortPath,
  type FaultLease,
  type RevertResult,
} from '@gameday/core';
import { inspectOrNull } from './docker-exec';
import { targetOfLease, type FaultEngine } from './fault-engine';
import type { HelperCap } from './helper-client';
import { isAbortNonce, parseKeyValues } from './helper-protocol';
import { HelperRunner, type StepRunner } from './step-runner';

/** What a kind whose steps run in the target's netns tells the common revert. */
export interface NetnsRevertKind {
  /** Throws unless nothing of the lease's is left, read through the runner that reverted. */
  confirmReverted(engine: FaultEngine, lease: FaultLease, runner: StepRunner): Promise<void>;
  /** Capabilities a fresh helper needs to run the lease's revert argv. */
  helperCaps?: HelperCap[];
}

/** Reasons that end a fault before its time: the helper is told first (stdin or signal), then an exec confirms. */
const URGENT_REASONS: ReadonlySet<string> = new Set(['abort', 'guardrail']);

/**
 * The fast path of an abort: the line `abort <nonce>` on the stdin this process holds for the
 * lease's helper (held only for helpers it started; the nonce is the lease's plan's). No Docker
 * API request before it, not even an inspect: the helper was labelled and checked when this
 * process created it, and the helper acts only on its current plan's nonce.
 */
function abortThroughStdin(engine: FaultEngine, lease: FaultLease, reason: string): boolean {
  const nonce = lease.details?.abortNonce;
  if (!lease.helperContainerId || !isAbortNonce(nonce)) return false;
  return engine.helpers.abortViaStdin(lease.helperContainerId, nonce, reason);
}

/** The other way in: a signal through the Docker API (USR2), as `docker kill --signal USR2` does. */
function abortThroughSignal(engine: FaultEngine, helperId: string): Promise<boolean> {
  return engine.docker
    .getContainer(helperId)
    .kill({ signal: 'SIGUSR2' })
    .then(
      () => true,
      () => false,
    );
}

/**
 * Reverts a fault whose steps ran in the target's network namespace: through the helper that
 * holds its record (a signal first for aborts), or, with no live helper, by running the lease's
 * revert argv (GameDay's own commands only) in the netns armed.
 */
export async function revertInNetns(
  engine: FaultEngine,
  lease: FaultLease,
  reason: string,
  kind: NetnsRevertKind,
): Promise<RevertResult> {
  const { docker } = engine;
  const { confirmReverted } = kind;
  const urgent = URGENT_REASONS.has(reason);
  // An abort reaches the helper first: it writes the undo it holds ready (no process created in
  // the target's netns, no exec). Through the stdin this process holds when it armed the helper,
  // before any Docker request; otherwise as a signal through the Docker API. What follows
  // confirms, and reverts by itself if neither did.
  let abortPath: AbortPath | undefined = urgent && abortThroughStdin(engine, lease, reason) ? 'stdin' : undefined;
  // the sidecar that applied it, or the watchdog of an exec/nsenter fault: either holds the record
  const helper = await engine.helperOf(lease);
  if (urgent && !abortPath && helper && (await abortThroughSignal(engine, helper.Id))) abortPath = 'signal';
  const told = abortPath ? { abortPath } : {};
  const info = await inspectOrNull(docker, lease.containerId);
  // The fault lived in the target's netns: a stopped or removed target took it along.
  if (!info?.State?.Running)
    return {
      outcome: 'already_gone',
      at: engine.now(),
      details: [`target ${lease.containerName} is not running: its network namespace is gone`],
      ...told,
    };
  if (helper?.State?.Running) {
    const runner = new HelperRunner(docker, helper.Id);
    const r = await runner.run([
      'gameday-helper',
      'revert',
      reason.replace(/[^a-zA-Z0-9_.-]/g, '_').slice(0, 40) || 'manual',
    ]);
    if (r.exitCode !== 0) throw new FaultStepError(['gameday-helper', 'revert'], r.exitCode, r.stderr, false);
    const kv = parseKeyValues(r.stdout);
    // the helper names the way it was told: `signal` (USR2) or `stdin` (the abort line)
    const byUs = !!abortPath && kv.was === 'reverted' && kv.revert_reason === abortPath;
    // when the helper had reverted already (its clock, or the signal just now), the fault left
    // the kernel at the helper's instant (in its clock), not when somebody came to look
    const at =
      kv.was === 'reverted' && /^[1-9]\d*$/.test(kv.reverted_at ?? '')
        ? new Date(Number(kv.reverted_at) - (lease.details?.clockCorrectionMs ?? 0))
        : engine.now();
    await confirmReverted(engine, lease, runner);
    const outcome = !byUs && (kv.was !== 'applied' || kv.undone === '0') ? 'already_gone' : 'reverted';
    return { outcome, at, details: [], ...told };
  }
  // No live helper (removed, or the reaper after a crash): run the revert argv directly; each
  // deletes only what is ours, so a failure means "already gone". Never in a netns that is
  // not the lease's: a restarted target's new one may hold another run's fault.
  // Ledger rows are data: nothing but our own delete commands is run from them, as root.
  for (const argv of lease.revertArgv) assertLedgerArgv(argv, 'revert');
  const undo = async (runner: StepRunner): Promise<RevertResult> => {
    const details: string[] = [];
    for (const argv of lease.revertArgv) {
      const r = await runner.run(argv);
      if (r.exitCode !== 0) details.push(`${argv.join(' ')}: ${r.stderr.trim()}`);
    }
    // the fault left the kernel when the last delete returned, not after the check and cleanup
    const at = engine.now();
    await confirmReverted(engine, lease, runner);
    return { outcome: details.length === lease.revertArgv.length ? 'already_gone' : 'reverted', at, details };
  };
  try {
    if (lease.strategy !== 'sidecar') return await engine.inArmedNetns(lease.strategy, lease, undo, info);
    // the target was inspected just above: its netns is judged from that, not a second request
    await engine.assertArmedNetns(lease, info);
    const tempHelper = await engine.createHelper(targetOfLease(lease), kind.helperCaps);
    try {
      return await undo(new HelperRunner(docker, tempHelper));
    } finally {
      await engine.helpers.remove(tempHelper);
    }
  } catch (err) {
    if (!(err instanceof TargetGoneError)) throw err;
    return { outcome: 'already_gone', at: engine.now(), details: [`target_gone: ${err.detail}`] };
  }
}
