import { FaultStepError, type FaultLease, type VerifyOutcome } from '@gameday/core';
import { execInContainer, inspectOrNull } from '../../engine/docker-exec';
import type { FaultEngine } from '../../engine/fault-engine';
import { parseKeyValues } from '../../engine/helper-protocol';
import { stressPart } from './stress-part';

/** What `gameday-helper stresscheck` reports: stress-ng processes now and the target cgroup's counters. */
export interface StressCheck {
  procs: number;
  inTarget: number;
  memoryBytes: number;
  cpuNs: number;
  oomKills: number;
}

export function parseStressCheck(stdout: string): StressCheck {
  const kv = parseKeyValues(stdout);
  const n = (k: string) => (/^-?\d+$/.test(kv[k] ?? '') ? Number(kv[k]) : -1);
  return {
    procs: n('procs'),
    inTarget: n('in_target'),
    memoryBytes: n('memory_bytes'),
    cpuNs: n('cpu_ns'),
    oomKills: n('oom_kill'),
  };
}

/** The read-back of a stress: running, and every stress-ng process in the target's cgroup. */
export async function readStress(engine: FaultEngine, helperId: string): Promise<StressCheck> {
  const r = await execInContainer(engine.docker, helperId, ['gameday-helper', 'stresscheck']);
  if (r.exitCode !== 0) throw new FaultStepError(['gameday-helper', 'stresscheck'], r.exitCode, r.stderr, false);
  return parseStressCheck(r.stdout);
}

/**
 * Reads a stress back: the helper applied it, stress-ng runs (its main process and one worker per
 * CPU worker and the memory worker at least), and every stress-ng process is in the target's
 * cgroup, as read from /proc/PID/cgroup in the helper. A target gone (OOM-killed, say) is named.
 */
export async function verifyStressLease(engine: FaultEngine, lease: FaultLease): Promise<VerifyOutcome> {
  const plan = stressPart(lease).stress;
  if (!plan) return { ok: false, reasons: ['lease has no stress plan'] };
  const info = await inspectOrNull(engine.docker, lease.containerId);
  if (!info?.State?.Running)
    return {
      ok: false,
      reasons: [`target ${lease.containerName} is not running${info?.State?.OOMKilled ? ' (OOM-killed)' : ''}`],
    };
  const helper = await engine.helperOf(lease);
  if (!helper?.State?.Running)
    return { ok: false, reasons: [`the helper of ${lease.containerName} is not running: no stress runs`] };
  const status = await engine.helpers.status(helper.Id);
  if (status.state !== 'applied')
    return { ok: false, reasons: [`the helper is ${status.state}${status.error ? `: ${status.error}` : ''}`] };
  const check = await readStress(engine, helper.Id);
  const least = 1 + plan.cpuWorkers + (plan.memoryMb ? 1 : 0) + (plan.ioWorkers ?? 0);
  const reasons: string[] = [];
  if (check.procs < least) reasons.push(`${check.procs} stress-ng process(es) run, at least ${least} expected`);
  if (check.inTarget < check.procs)
    reasons.push(
      `${check.procs - check.inTarget} stress-ng process(es) are not in the target's cgroup ${plan.cgroupPath}`,
    );
  return reasons.length ? { ok: false, reasons } : { ok: true };
}
