import type { FaultLease, RevertResult } from '@gameday/core';
import { inspectOrNull, isNotModified } from '../../engine/docker-exec';
import type { FaultEngine } from '../../engine/fault-engine';
import { HELPER_ROLE_LABEL } from '../../engine/helper-client';
import { WATCHDOG_ROLE } from '../../engine/watchdog-client';
import type { WatchdogRecord } from '../../engine/watchdog-protocol';
import { containerPart } from './container-part';

/**
 * Reverts a container fault from its lease alone (the executor's revert, an abort, the reaper):
 * its watchdog is told to stand down first and waited for, so it never acts after this revert;
 * then the target is unpaused or started unless that is done already (by the watchdog at the
 * planned end, or by a person); then the watchdog is removed. Idempotent.
 */
export async function revertContainer(engine: FaultEngine, lease: FaultLease): Promise<RevertResult> {
  const watched = await standDownWatchdog(engine, lease);
  try {
    const result = await revertTarget(engine, lease);
    const acted = watched?.record.acted;
    if (result.outcome === 'already_gone' && acted && Number.isFinite(acted.at)) {
      // the watchdog's instant is in the engine's clock; the ledger's in the worker's
      const at = new Date(acted.at - (lease.details?.clockCorrectionMs ?? 0));
      return {
        outcome: 'reverted',
        at,
        removedBy: 'watchdog',
        details: [`by its watchdog (${acted.call}) at its deadline`],
      };
    }
    const said = watched?.record.failed
      ? [`its watchdog's ${watched.record.failed.call} failed (HTTP ${watched.record.failed.status})`]
      : [];
    return said.length ? { ...result, details: [...(result.details ?? []), ...said] } : result;
  } finally {
    if (watched) await engine.watchdogs.remove(watched.id);
  }
}

/** The lease's watchdog (label-checked: a row may name any container), stood down; null if none. */
async function standDownWatchdog(
  engine: FaultEngine,
  lease: FaultLease,
): Promise<{ id: string; record: WatchdogRecord } | null> {
  const info = await engine.helperOf(lease);
  if (!info || info.Config?.Labels?.[HELPER_ROLE_LABEL] !== WATCHDOG_ROLE) return null;
  return { id: info.Id, record: await engine.watchdogs.standDown(info.Id, containerPart(lease).watchdog?.armingId) };
}

async function revertTarget(engine: FaultEngine, lease: FaultLease): Promise<RevertResult> {
  // a method of the engine (its injected clock): unbound, `this` would be lost
  const now = () => engine.now();
  const info = await inspectOrNull(engine.docker, lease.containerId);
  if (!info) return { outcome: 'already_gone', at: now(), details: ['container removed'] };
  // Started again since arming (a restart, a person, a restart policy): the fault ended there, and
  // a pause or stop seen now is someone else's, not ours to undo (the watchdog stands down alike).
  const armedStart = containerPart(lease).watchdog?.startedAt;
  // A stop's or kill's own undo (an earlier revert of this lease, its watchdog) starts the target
  // again too: running now, the fault is undone, whoever started it, and nothing more is read into it.
  if (
    armedStart &&
    info.State.StartedAt !== armedStart &&
    containerPart(lease).action !== 'pause' &&
    info.State.Running
  )
    return {
      outcome: 'already_gone',
      at: now(),
      details: [
        `${lease.containerName} runs again (started ${info.State.StartedAt}, after this fault's ${containerPart(lease).action}): nothing to undo`,
      ],
    };
  if (armedStart && info.State.StartedAt !== armedStart)
    return {
      outcome: 'already_gone',
      at: now(),
      details: [
        `target_gone: ${lease.containerName} was started again since arming (${armedStart} → ${info.State.StartedAt}): its state now is not ours to undo`,
      ],
    };
  const c = engine.docker.getContainer(lease.containerId);
  if (containerPart(lease).action === 'pause') {
    if (!info.State.Paused) return { outcome: 'already_gone', at: now() };
    await c.unpause();
    return { outcome: 'reverted', at: now() };
  }
  if (info.State.Paused) await c.unpause();
  if (info.State.Running) return { outcome: 'already_gone', at: now() };
  try {
    await c.start();
  } catch (err) {
    if (!isNotModified(err)) throw err;
    return { outcome: 'already_gone', at: now() };
  }
  return { outcome: 'reverted', at: now() };
}
