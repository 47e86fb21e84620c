import { processKillPlan, type ProcessKillFaultSpec, type ProcessKillPlan, type ResolvedTarget } from '@gameday/core';
import { inspectOrNull } from '../../engine/docker-exec';
import type { FaultEngine } from '../../engine/fault-engine';
import type { FaultKind } from '../fault-kind';
import { helperCapabilities, helperPlanClock } from '../helper-clock';
import { armProcessKill, KILL_STATE_DIR, pidNamespaceRefusal } from './process-kill-arm';
import type { ProcessKillDryRunPart, ProcessKillLeasePart, TargetProcess } from './process-kill-part';
import { revertProcessKill } from './process-kill-revert';
import { verifyProcessKillLease } from './process-kill-verify';

/** What runs in the helper: gameday-kill, with the instants filled in when the plan is handed over. */
function killArgv(plan: ProcessKillPlan, at: { applyAt: string; endAt: string }): string[] {
  return ['gameday-kill', 'run', at.applyAt, at.endAt, String(plan.everyMs), plan.signal, plan.process, KILL_STATE_DIR];
}

const PLACEHOLDERS = { applyAt: '<T0 ms>', endAt: '<T1 ms>' };

// the helper signals at T0, then every everyMs (0: once) until T1
const killClock = helperPlanClock<ProcessKillFaultSpec, undefined, ProcessKillLeasePart>({
  command: 'killplan',
  words: (prepared) => {
    const plan = processKillPlan(prepared.spec);
    return [String(plan.everyMs), plan.signal, plan.process];
  },
  details: (prepared) => ({ kindPart: { processKill: processKillPlan(prepared.spec) } }),
  notApplied: 'made no round of its plan',
});

/**
 * The target's processes of the name now, as the engine's `docker top` lists them (host PIDs:
 * the helper sees the same processes under the PIDs of the target's namespace). Its init (PID 1
 * inside) is marked: it is never signalled.
 */
async function processesNow(
  engine: FaultEngine,
  target: ResolvedTarget,
  name: string,
  initPid: number | undefined,
): Promise<TargetProcess[]> {
  const top = (await engine.docker.getContainer(target.containerId).top({ ps_args: '-o pid,comm' })) as {
    Titles: string[];
    Processes: string[][];
  };
  const pidAt = top.Titles.indexOf('PID');
  const commAt = top.Titles.findIndex((t) => t === 'COMMAND' || t === 'COMM');
  return top.Processes.filter((p) => p[commAt] === name).map((p) => {
    const pid = Number(p[pidAt]);
    return pid === initPid
      ? { pid, comm: p[commAt], note: 'PID 1 of the target: never signalled (use a container fault)' }
      : { pid, comm: p[commAt] };
  });
}

/**
 * Process kills: signal the processes of one name inside the target, once at T0 or every N until
 * T1. A sidecar helper in the target's PID namespace (KILL only, no network) keeps the clock:
 * gameday-kill waits for T0 on an absolute timer, signals, repeats on its grid, stops at T1 by
 * itself (or at the expiry, on TERM, after a restart, on USR2), and records every signal. Verify
 * reads that record; there is nothing in the target to revert, only a repetition to stop. Its
 * prepare arms nothing but the helper (`armed` stays undefined): the plan is the spec's.
 */
export const processKillKind: FaultKind<ProcessKillFaultSpec, undefined, ProcessKillLeasePart, ProcessKillDryRunPart> =
  {
    name: 'process-kill',
    // a PID namespace per container: two containers sharing a network namespace are two targets
    dedupeNetns: false,
    capabilities: () => helperCapabilities(),

    async dryRunTarget(engine, spec, target) {
      const plan = processKillPlan(spec);
      const info = await inspectOrNull(engine.docker, target.containerId);
      const refusal = pidNamespaceRefusal(info, target.containerName);
      const base = {
        target,
        strategy: 'sidecar' as const,
        runner: ['docker', 'exec', `<helper in the PID namespace of ${target.containerName}>`],
        apply: [killArgv(plan, PLACEHOLDERS)],
        verify: [['gameday-helper', 'status']],
        revert: [['gameday-helper', 'revert']],
      };
      if (refusal) return { ...base, processes: [], warnings: [`arming would refuse this fault: ${refusal}`] };
      // `docker top` runs ps on the engine's host: where it cannot, the dry run says so and goes on
      const listed = await processesNow(engine, target, plan.process, info?.State?.Pid).catch((err: Error) => err);
      const processes = listed instanceof Error ? [] : listed;
      const signalled = processes.filter((p) => !p.note).length;
      return {
        ...base,
        processes,
        warnings: [
          ...(listed instanceof Error
            ? [`could not list the target's processes (docker top: ${listed.message.split('\n')[0]})`]
            : signalled === 0
              ? [
                  `no process named "${plan.process}" would be signalled now: the run would abort at T0 with "no process matched" unless one runs by then`,
                ]
              : []),
          `nothing is signalled by a dry run; at T0 the helper signals (${plan.signal}) every process then named "${plan.process}" in the target` +
            (plan.everyMs ? `, then again every ${plan.everyMs} ms until T1` : ', once'),
        ],
      };
    },

    prepare: armProcessKill,

    draftLease(prepared) {
      const plan = processKillPlan(prepared.spec);
      return {
        kind: 'process-kill',
        applyArgv: [killArgv(plan, PLACEHOLDERS)],
        // nothing to undo in the target: a revert stops the helper's repetition, through the helper
        revertArgv: [],
        verifyArgv: null,
        details: {
          kindPart: { processKill: plan },
          selfExpiryAt: new Date(prepared.expiresAt.getTime() + prepared.graceMs).toISOString(),
          clockCorrectionMs: prepared.clockOffset?.correctionMs ?? 0,
        },
      };
    },

    ...killClock,

    verify: verifyProcessKillLease,
    revert: revertProcessKill,
  };
