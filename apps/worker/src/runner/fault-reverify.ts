import {
  EngineUnreachableError,
  faultLost,
  type FaultDriver,
  type FaultLease,
  type VerifyOutcome,
} from '@gameday/core';
import type { RunRepository } from '@gameday/db';
import { faultCapabilities } from '@gameday/faults';
import type { RunControl } from './run-control';

export interface ReverifyDeps {
  driver: FaultDriver;
  runs: RunRepository;
  nowMs: () => number;
}

export interface ReverifyTarget {
  runId: string;
  leases: FaultLease[];
  index: number;
  control: RunControl;
  plannedEnd: number;
}

/**
 * One check during the fault window that each fault its kind re-checks (network) is still in place (a restarted target
 * or another tool may have removed it). A fault found gone aborts the run; an engine that does not
 * answer is no verdict on the fault.
 */
export async function reverifyFaults(deps: ReverifyDeps, t: ReverifyTarget): Promise<void> {
  for (const lease of t.leases) {
    if (!faultCapabilities(lease).reverify) continue;
    let v: VerifyOutcome;
    try {
      v = await deps.driver.verify(lease);
    } catch (e) {
      // an engine that does not answer (a dockerd restart) tells nothing about the fault: with
      // live-restore it stays, and the helper's clock still takes it out at the end
      if (e instanceof EngineUnreachableError) {
        await deps.runs.appendEvent(t.runId, {
          type: 'fault.unverified',
          message: `could not check the fault on ${lease.containerName}: ${e.message}`,
          experimentIndex: t.index,
          data: { leaseId: lease.id },
        });
        continue;
      }
      v = { ok: false, reasons: [(e as Error).message] };
    }
    // an answer that came after the planned end may have seen the helper's own revert
    if (!v.ok && faultLost(v.ok, deps.nowMs(), t.plannedEnd)) {
      await deps.runs.appendEvent(t.runId, {
        type: 'fault.lost',
        message: `fault on ${lease.containerName} is no longer in place: ${v.reasons.join('; ')}`,
        experimentIndex: t.index,
        data: { leaseId: lease.id },
      });
      t.control.abort({
        trigger: 'verification',
        reason: `fault on ${lease.containerName} disappeared during the window (container restarted or another tool removed it)`,
        at: deps.nowMs(),
      });
    }
  }
}
