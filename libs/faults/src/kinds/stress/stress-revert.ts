import type { FaultLease, RevertResult } from '@gameday/core';
import { execInContainer, inspectOrNull } from '../../engine/docker-exec';
import type { FaultEngine } from '../../engine/fault-engine';
import { revertHelperPlan } from '../../engine/helper-revert';
import { parseKeyValues } from '../../engine/helper-protocol';

/**
 * What the stress did to the target, as an outcome rather than a failure: OOM kills in its cgroup
 * during the window (the helper's counters before and after) and whether the engine says the
 * target itself was OOM-killed.
 */
async function oomOutcome(engine: FaultEngine, lease: FaultLease, helperId: string): Promise<string[]> {
  const r = await execInContainer(engine.docker, helperId, ['gameday-helper', 'status']).catch(() => null);
  const kv = r ? parseKeyValues(r.stdout) : {};
  const before = Number(kv.stress_oom_kill_before ?? -1);
  const after = Number(kv.stress_oom_kill_after ?? -1);
  const info = await inspectOrNull(engine.docker, lease.containerId);
  const details: string[] = [];
  if (before >= 0 && after > before)
    details.push(`outcome: ${after - before} OOM kill(s) in the cgroup of ${lease.containerName} during the stress`);
  if (info?.State?.OOMKilled) details.push(`outcome: ${lease.containerName} was OOM-killed`);
  return details;
}

/**
 * Ends a stress through the helper that runs it: for aborts the stdin line this process holds,
 * else USR2 through the Docker API, then `gameday-helper revert`, which has gameday-stress kill
 * every stress-ng process and confirms. No helper running: nothing runs any more (stress-ng lived
 * in the helper's PID namespace, which died with it), so it is already gone; the helper container
 * itself is removed by release, as for every kind.
 */
export function revertStress(engine: FaultEngine, lease: FaultLease, reason: string): Promise<RevertResult> {
  return revertHelperPlan(engine, lease, reason, 'no stress-ng runs any more', (helperId) =>
    oomOutcome(engine, lease, helperId),
  );
}
