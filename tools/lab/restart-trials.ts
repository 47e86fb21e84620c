// The rollback trials where the TARGET restarts during its fault (`docker restart`: new network
// and PID namespaces, the same writable layer), the case where Chaos Mesh lost track of its rules.
// The worker stays up. Whatever each kind does with the restart (a netns fault leaves with the old
// namespace and the re-check says so; a fill file on the writable layer is undone by the helper
// brought back into the new one; a stress stays with the target's cgroup until T1), the guarantees
// are the same: by the planned end + 5 s nothing of the fault is left in the restarted target or
// seen from the host, every lease is closed, no helper is left, and the run has ended.
//
// Real pieces only: the API in-process, a worker process on the host, Postgres, Redis, and a
// Docker Engine on a kernel with sch_netem and iptables (user-mode-linux).
import { isTerminal, type RunStatus } from '@gameday/core';
import { printFigures, type FigureRow } from './stats';
import { analyseWindow, sleep, startRollbackLab, until, waitFaultSeenFromHost, type RollbackLab } from './rollback-lab';
import type { TrialFault } from './trial-faults';

// long enough for the re-check (its first at 5 s into the window) to see a restart early in it,
// and for a restart in the one-vCPU guest (10-17 s on the 7.2 lab kernel of a slow 2-CPU host,
// 22 s on 6.1 beside a kernel build) to land inside it
const FAULT_S = 20;
const DEADLINE_AFTER_END_MS = 5_000;

interface Trial {
  n: number;
  fault: string;
  target: string;
  runId: string;
  plannedStart: number;
  plannedEnd: number;
  restartedAt: number;
  status: string;
  lost: boolean;
  leases: number;
  closed: number;
  reasons: string[];
  shapedAfterDeadline: number;
  residual: string[];
}

export interface RestartTrialsOptions {
  name: string;
  redisDb: number;
  faults: TrialFault[];
  trials: number;
}

/** The trials as one jest `describe`: `trials` runs cycling through `faults`, each one's target restarted once its fault shows. */
export function describeRestartTrials({ name, redisDb, faults: FAULTS, trials: TRIALS }: RestartTrialsOptions): void {
  describe(`rollback when the target restarts during its fault (Docker in user-mode-linux): ${FAULTS.map((f) => f.label).join(', ')}`, () => {
    const trials: Trial[] = [];
    let rl: RollbackLab | undefined;

    beforeAll(async () => {
      rl = await startRollbackLab({ name, redisDb, targets: 2 });
      // the product's orphan timeout, not the lab's 3 s: no worker dies here, and one busy with a
      // slow revert (an exec into a helper whose namespace went with the restart) is not dead
      await rl.startWorker({ GAMEDAY_ORPHAN_AFTER_MS: '60000' });
    }, 360_000);

    afterAll(async () => {
      if (trials.length) {
        const rows: FigureRow[] = trials.map((t) => ({
          check: `trial ${t.n} (${t.fault} on ${t.target}): target restarted at T0+${t.restartedAt - t.plannedStart} ms`,
          requested: `T0 ${new Date(t.plannedStart).toISOString().slice(11, 23)}, T1 ${new Date(t.plannedEnd).toISOString().slice(11, 23)}`,
          expected: `nothing left and nothing seen by T1+${DEADLINE_AFTER_END_MS} ms, leases closed, run ended`,
          measured: `run ${t.status}${t.lost ? ' (fault.lost)' : ''}; leases ${t.closed}/${t.leases} closed (${t.reasons.join(', ')}); shaped after the deadline ${t.shapedAfterDeadline}; residual ${t.residual.length}`,
          verdict:
            t.closed === t.leases && t.shapedAfterDeadline === 0 && t.residual.length === 0 && t.status !== '?'
              ? 'ok'
              : 'FAIL',
        }));
        printFigures(`rollback when the target restarts (${trials.length} trials)`, rows);
      }
      await rl?.helpersGone(30_000);
      await rl?.stop();
      if (rl) expect(await rl.release()).toEqual([]);
    }, 180_000);

    it(
      `${TRIALS} trials: nothing of the fault left in the restarted target by T1 + 5 s, every lease closed`,
      async () => {
        const lab = rl!;
        for (let n = 1; n <= TRIALS; n++) {
          const fault = FAULTS[(n - 1) % FAULTS.length];
          const target = lab.targets[(n - 1) % lab.targets.length];
          const durations = lab.trialDurations(fault, FAULT_S, 10);
          const runId = await lab.runNow(`${name}-${n}`, target, fault, durations);
          const { plannedStart, plannedEnd } = await lab.armedLease(
            runId,
            fault,
            durations.untilStartMs + FAULT_S * 1_000 + 30_000,
          );
          await waitFaultSeenFromHost(target, plannedStart, fault, FAULT_S * 1_000, () => lab.timeline(runId));
          const restartedAt = await lab.restartTarget(target);
          expect(restartedAt).toBeLessThan(plannedEnd);

          const run = await until(
            'the run to end',
            async () => {
              const r = await lab.prisma.run.findUnique({ where: { id: runId } });
              return r && isTerminal(r.status as RunStatus) ? r : null;
            },
            Math.max(0, plannedEnd - Date.now()) + 60_000,
            250,
          ).catch(async (e: Error) => {
            throw new Error(`${e.message}\n${await lab.timeline(runId)}`);
          });
          // the host's view from the deadline on: nothing shaped (requests in flight then aside)
          await sleep(Math.max(0, plannedEnd + DEADLINE_AFTER_END_MS + 2_000 + fault.tailMs - Date.now()));
          const after = target.watcher
            .between(plannedEnd + DEADLINE_AFTER_END_MS, Date.now() - fault.tailMs)
            .filter((s) => fault.shaped(s));
          const leases = await lab.prisma.activeFault.findMany({ where: { runId } });
          const residual = await lab.residual(fault);
          const lost = (await lab.prisma.runEvent.count({ where: { runId, type: 'fault.lost' } })) > 0;
          const trial: Trial = {
            n,
            fault: fault.label,
            target: target.name,
            runId,
            plannedStart,
            plannedEnd,
            restartedAt,
            status: run.status,
            lost,
            leases: leases.length,
            closed: leases.filter((l) => l.revertedAt).length,
            reasons: leases.map((l) => l.revertReason ?? 'open'),
            shapedAfterDeadline: after.length,
            residual,
          };
          trials.push(trial);
          const seen = analyseWindow(target.watcher.between(plannedStart - 1_000, Date.now()), fault);
          process.stdout.write(
            `trial ${n} (${fault.label}): restarted T0+${restartedAt - plannedStart} ms; run ${run.status}${lost ? ' after fault.lost' : ''}; leases ${leases.map((l) => `${l.revertReason} T1${l.revertedAt ? `${l.revertedAt.getTime() - plannedEnd >= 0 ? '+' : ''}${l.revertedAt.getTime() - plannedEnd} ms` : ' open'}`).join(', ')}; seen gone T1${seen.goneAt === undefined ? ' ?' : `${seen.goneAt - plannedEnd >= 0 ? '+' : ''}${seen.goneAt - plannedEnd} ms`}\n`,
          );
          if (run.status !== 'completed' && run.status !== 'aborted')
            process.stdout.write(`${await lab.timeline(runId)}\n`);

          expect(leases.length).toBe(fault.leases ?? 1);
          expect(leases.every((l) => l.revertedAt !== null)).toBe(true);
          expect(after).toEqual([]);
          expect(residual).toEqual([]);
          // the restart is no failure of GameDay's: the run completes, or aborts on the fault lost
          expect(['completed', 'aborted']).toContain(run.status);
          await lab.helpersGone(20_000);
        }
      },
      // a jest bound only: every wait inside is sized from the guest's pace
      TRIALS * 300_000 + 60_000,
    );
  });
}
