import { assertLedgerArgv, TargetGoneError, type AbortPath, type FaultLease, type RevertResult } from '@gameday/core';
import { inspectOrNull } from './docker-exec';
import { netnsChange, netnsNow } from './netns-identity';
import { targetOfLease, type FaultEngine } from './fault-engine';
import type { HelperCap, HelperJoins } from './helper-client';
import { abortThroughSignal, abortThroughStdin, helperRevert, isUrgent } from './helper-revert';
import { HelperRunner, type StepRunner } from './step-runner';

/** What a kind whose steps run in the target's netns tells the common revert. */
export interface NetnsRevertKind {
  /** Throws unless nothing of the lease's is left, read through the runner that reverted. */
  confirmReverted(engine: FaultEngine, lease: FaultLease, runner: StepRunner): Promise<void>;
  /** Capabilities a fresh helper needs to run the lease's revert argv. */
  helperCaps?: HelperCap[];
  /** What a fresh helper is started as (its image): the netns helper unless said. */
  helperJoins?: HelperJoins;
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
  const urgent = isUrgent(reason);
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
    const { runner, kv, at, unbegun } = await helperRevert(engine, lease, helper.Id, reason);
    // the helper names the way it was told: `signal` (USR2) or `stdin` (the abort line)
    const byUs = !!abortPath && kv.was === 'reverted' && kv.revert_reason === abortPath;
    await confirmReverted(engine, lease, runner);
    // A sidecar undoes in the netns it joined; a target restarted since lives in a new one, and
    // the fault left with the old one when the target stopped (no later than its new start).
    const moved =
      lease.strategy === 'sidecar' ? netnsChange(lease, await netnsNow(docker, lease.containerId, info)) : null;
    if (moved) {
      // the engine's instant, in the helper's (the engine's kernel's) clock: corrected like its record
      const started = Date.parse(info.State.StartedAt ?? '') - (lease.details?.clockCorrectionMs ?? 0);
      const left = Number.isFinite(started) && started < at.getTime() ? new Date(started) : at;
      return { outcome: 'already_gone', at: left, details: [`target_gone: ${moved}`], ...told };
    }
    const outcome = !byUs && (kv.was !== 'applied' || kv.undone === '0') ? 'already_gone' : 'reverted';
    return { outcome, at, details: [], ...told, ...unbegun };
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
    const tempHelper = await engine.createHelper(targetOfLease(lease), kind.helperCaps, kind.helperJoins);
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
