import {
  FaultStepError,
  parseKillRecord,
  parseKillSummary,
  verifyProcessKill,
  type FaultLease,
  type KillRecordEntry,
  type VerifyOutcome,
} from '@gameday/core';
import { execInContainer, inspectOrNull } from '../../engine/docker-exec';
import type { FaultEngine } from '../../engine/fault-engine';
import { parseKeyValues } from '../../engine/helper-protocol';
import { processKillPart } from './process-kill-part';

/**
 * Reads the helper's record of a process kill and judges it: the helper is in its window, its
 * first round at T0 signalled at least one process ("no process matched" is named as such), and
 * a repetition keeps to its plan. There is nothing to read back from the target itself: a signal
 * leaves no state, and a process of the name may have been started again on purpose.
 */
export async function verifyProcessKillLease(engine: FaultEngine, lease: FaultLease): Promise<VerifyOutcome> {
  const plan = processKillPart(lease).processKill;
  if (!plan) return { ok: false, reasons: ['lease has no process-kill plan'] };
  const info = await inspectOrNull(engine.docker, lease.containerId);
  if (!info?.State?.Running) return { ok: false, reasons: [`target ${lease.containerName} is not running`] };
  const helper = await engine.helperOf(lease);
  if (!helper?.State?.Running)
    return { ok: false, reasons: [`the helper of ${lease.containerName} is not running: nothing is signalled`] };
  const r = await execInContainer(engine.docker, helper.Id, ['gameday-helper', 'status']);
  if (r.exitCode !== 0) throw new FaultStepError(['gameday-helper', 'status'], r.exitCode, r.stderr, false);
  const kv = parseKeyValues(r.stdout);
  return verifyProcessKill({ state: kv.state ?? 'unknown', summary: parseKillSummary(kv) }, plan, Number(kv.now));
}

/**
 * The helper's record of every signal it sent and every round it made (the last `lines`), in the
 * worker's clock; empty when its helper is gone.
 */
export async function readKillRecord(engine: FaultEngine, lease: FaultLease, lines = 500): Promise<KillRecordEntry[]> {
  const helper = await engine.helperOf(lease);
  if (!helper?.State?.Running) return [];
  const r = await execInContainer(engine.docker, helper.Id, ['gameday-helper', 'kills', String(lines)]);
  if (r.exitCode !== 0) throw new FaultStepError(['gameday-helper', 'kills'], r.exitCode, r.stderr, false);
  const shift = lease.details?.clockCorrectionMs ?? 0;
  return parseKillRecord(r.stdout).map((e) =>
    e.type === 'tick' ? { ...e, startedAt: e.startedAt - shift, at: e.at - shift } : { ...e, at: e.at - shift },
  );
}
