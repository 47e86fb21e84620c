// The rollback trials under SIGKILL of the driving worker, shared by the lab files that run them
// for different kinds (rollback-sigkill: netem, blackhole, process kill; rollback-sigkill-kinds:
// dns, partition, disk fill, stress). Every fault must be gone by the planned end + 5 s (the
// helper's clock, the fault queue on the standby worker, or the standby's reaper), applied once,
// and leave nothing behind; each seen from the host (tools/lab/trial-faults.ts).
//
// Real pieces only: the API in-process, worker processes on the host (killed with SIGKILL: no
// shutdown hooks, no BullMQ lock released), Postgres, Redis, and a Docker Engine on a kernel with
// sch_netem and iptables (user-mode-linux).
import { isTerminal, type RunStatus } from '@gameday/core';
import { pacedMs } from './lab-pace';
import { printFigures, round1, type FigureRow } from './stats';
import {
  analyseWindow,
  layerOf,
  sleep,
  startRollbackLab,
  until,
  waitFaultSeenFromHost,
  waitGoneFromHost,
  waitSlowedSince,
  type RollbackLab,
} from './rollback-lab';
import type { TrialFault } from './trial-faults';
import type { WorkerProcess } from './worker-process';

// Arming starts ahead of the baseline (not judged here), so a busy guest's slow arming does not eat
// into the fault: a helper start and three docker execs in the one-vCPU guest, 2.5-5 s on a quick
// host and 28-35 s on a slow one beside the other lab lanes (RollbackLab.trialDurations).
// 8 s of fault: each status read is a docker exec in the one-vCPU guest (~2 s), so with 4 s (and the
// shell helper applying 1-4 s late, before gameday-at) one trial's helper had already reverted
// before the test could see it applied and kill the worker during the fault
const FAULT_S = 8;
const durationsOf = (lab: RollbackLab, fault: TrialFault) => lab.trialDurations(fault, FAULT_S, 12);
const DEADLINE_AFTER_END_MS = 5_000;
/** A run whose driver is gone is taken over after this (GAMEDAY_ORPHAN_AFTER_MS). */
const ORPHAN_AFTER_MS = 30_000;
/**
 * How long a killed run may take to end once its trial is over: the takeover, then its revert
 * confirmations and helper removals, docker execs in the one-vCPU guest (60 s on the quick host; a
 * partition's two leases there took longer on a guest whose exec takes 1.5 s).
 */
const runEndMs = (lab: RollbackLab) => ORPHAN_AFTER_MS + pacedMs(lab.pace, 30_000);

interface Trial {
  n: number;
  target: string;
  fault: string;
  runId: string;
  plannedStart: number;
  plannedEnd: number;
  killedAt: number;
  helperApplied?: number;
  helperReverted?: number;
  seenGone?: number;
  layer: string;
  leaseReason: string | null;
  leases: number;
  /** the leases its kind holds (a partition: one per side) */
  expectedLeases: number;
  slowAgain: number;
  maxOutsideMs: number;
  residual: string[];
}

export interface SigkillTrialsOptions {
  /** names the lab's queue prefix, database and log directory */
  name: string;
  /** a Redis database of the lab's own (it is flushed) */
  redisDb: number;
  /** the kinds the trials cycle through */
  faults: TrialFault[];
  trials: number;
  /**
   * Postgres (a cluster of the lab's own) is stopped right after the kill and stays down until
   * T1 + 2 s: no worker can read or write a lease across the planned end, so only the helper's own
   * clock can take the fault out in time.
   */
  postgresDown?: boolean;
}

/** How long after the planned end Postgres stays down in the trials that stop it. */
const POSTGRES_DOWN_AFTER_END_MS = 2_000;

/**
 * The SIGKILL trials as one jest `describe`: `trials` runs cycling through `faults`, each one's
 * driving worker SIGKILLed as soon as the host sees its fault.
 */
export function describeSigkillTrials({
  name,
  redisDb,
  faults: FAULTS,
  trials: TRIALS,
  postgresDown = false,
}: SigkillTrialsOptions): void {
  const what = postgresDown ? 'SIGKILL of the driving worker and Postgres stopped' : 'SIGKILL of the driving worker';
  describe(`rollback under ${what} (Docker in user-mode-linux): ${FAULTS.map((f) => f.label).join(', ')}`, () => {
    const trials: Trial[] = [];
    let rl: RollbackLab | undefined;

    beforeAll(async () => {
      const t0 = Date.now();
      rl = await startRollbackLab({ name, redisDb, targets: 2, privatePostgres: postgresDown });
      await rl.startWorker({ GAMEDAY_ORPHAN_AFTER_MS: String(ORPHAN_AFTER_MS) });
      process.stdout.write(
        `rollback lab ready in ${Date.now() - t0} ms (guest API ${rl.lab.timings.apiReadyMs} ms); worker logs in ${rl.logDir}\n`,
      );
      // a file run alone boots its own guest and loads every image into it: over 180 s on a busy host
    }, 360_000);

    afterAll(
      async () => {
        if (trials.length) {
          const rel = (t: number | undefined, base: number) =>
            t === undefined ? '-' : `${t - base >= 0 ? '+' : ''}${t - base} ms`;
          const rows: FigureRow[] = trials.map((t) => ({
            check: `trial ${t.n} (${t.fault} on ${t.target}): SIGKILL at T0${rel(t.killedAt, t.plannedStart)}`,
            requested: `planned T0 ${new Date(t.plannedStart).toISOString().slice(11, 23)}, end T1 ${new Date(t.plannedEnd).toISOString().slice(11, 23)}`,
            expected: `killed before T1, gone by T1+${DEADLINE_AFTER_END_MS} ms, ${t.expectedLeases} lease(s), nothing left`,
            measured: `applied T0${rel(t.helperApplied, t.plannedStart)}; reverted T1${rel(t.helperReverted, t.plannedEnd)} by ${t.layer} (lease: ${t.leaseReason}); seen gone T1${rel(t.seenGone, t.plannedEnd)}; leases ${t.leases}; fault seen again ${t.slowAgain}×; residual ${t.residual.length}; slowest request outside the fault ${Math.round(t.maxOutsideMs)} ms`,
            verdict:
              t.killedAt < t.plannedEnd &&
              t.helperReverted !== undefined &&
              t.helperReverted <= t.plannedEnd + DEADLINE_AFTER_END_MS &&
              t.seenGone !== undefined &&
              t.seenGone <= t.plannedEnd + DEADLINE_AFTER_END_MS &&
              t.leases === t.expectedLeases &&
              t.slowAgain === 0 &&
              t.residual.length === 0
                ? 'ok'
                : 'FAIL',
          }));
          printFigures(
            `rollback after ${what} (${trials.length} trials: ${FAULTS.map((f) => f.label).join(', ')})`,
            rows,
          );
        }
        // each step says how long it took: this hook once overran its time with nothing to say where
        const step = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
          const t0 = Date.now();
          try {
            return await fn();
          } finally {
            process.stdout.write(`teardown: ${label} took ${Date.now() - t0} ms\n`);
          }
        };
        // the survivor removes the last run's helper a moment after the run has ended: not
        // stopped before it has (a stress helper was still there when the workers were stopped)
        await step('helpers gone', async () => rl?.helpersGone(30_000));
        await step('lab stopped', async () => rl?.stop());
        // nothing of this file stays in the (shared) engine: targets removed, no helper left
        if (rl) expect(await step('lab released', () => rl!.release())).toEqual([]);
        // each trial leaves a stopped worker and a helper to remove from the one-vCPU guest: a 20-trial
        // series took longer than 60 s here, and 3 trials over 75 s once in a lab of three lanes
      },
      120_000 + TRIALS * 5_000,
    );

    it(
      `${TRIALS} trials: the fault is gone by the planned end + 5 s, applied once, nothing left`,
      async () => {
        const lab = rl!;
        if (trials.length > 0 || lab.alive.length > 1) {
          // a retried attempt starts as the first did: its runs ended, one worker alive (the failed
          // attempt can leave the standby beside its driver); its trials are not counted twice
          await until(
            'the runs of the failed attempt to end',
            async () => (await lab.prisma.run.count({ where: { finishedAt: null } })) === 0,
            120_000,
          );
          for (const w of lab.alive.slice(0, -1)) await w.kill('SIGTERM');
          trials.length = 0;
        }
        // Exactly one worker is alive whenever a run is started: it takes the run's job and drives it.
        expect(lab.alive).toHaveLength(1);
        const faultOf = (n: number) => FAULTS[(n - 1) % FAULTS.length];
        let runId = await lab.runNow(`${name}-1`, lab.targets[0], faultOf(1), durationsOf(lab, faultOf(1)));
        for (let n = 1; n <= TRIALS; n++) {
          const target = lab.targets[(n - 1) % lab.targets.length];
          const fault = faultOf(n);
          expect(lab.alive).toHaveLength(1);
          const driver: WorkerProcess = lab.alive[0];
          await until(
            'the driver to take the run',
            async () => (await lab.prisma.run.findUnique({ where: { id: runId } }))?.status !== 'scheduled',
            15_000,
          );
          // The standby comes up while the run is armed (this is also the restart after the last kill).
          const standby = await lab.startWorker({ GAMEDAY_ORPHAN_AFTER_MS: String(ORPHAN_AFTER_MS) });

          const { armedInMs, plannedStart, plannedEnd } = await lab.armedLease(
            runId,
            fault,
            durationsOf(lab, fault).untilStartMs + 5_000,
            5_000,
          );

          // Kill as soon as the host sees the fault; it must still be in place after the kill
          await waitFaultSeenFromHost(target, plannedStart, fault, FAULT_S * 1_000, async () =>
            [await lab.timeline(runId), 'driver log:', driver.logTail(1_500)].join('\n'),
          );
          const kill = await driver.kill('SIGKILL');
          const killedAt = Date.now();
          expect(kill.signal).toBe('SIGKILL');
          await waitSlowedSince(target, killedAt, fault);
          // during the fault, not in recovery: the kill tests rollback of a fault in place
          expect(killedAt).toBeLessThan(plannedEnd);
          const thisRun = runId;
          let postgresBackAt: number | undefined;
          if (postgresDown) {
            const restart = await lab.postgres!.restart(lab.config.DATABASE_URL, {
              downUntil: plannedEnd + POSTGRES_DOWN_AFTER_END_MS,
            });
            // down across the planned end: nobody but the helper could act there
            expect(restart.answeringAt).toBeGreaterThan(plannedEnd);
            postgresBackAt = restart.answeringAt;
          }

          // Until the fault is gone as the host sees it (or the deadline passed), then a second of outside view.
          await waitGoneFromHost(target, plannedStart, fault, plannedEnd + DEADLINE_AFTER_END_MS);
          await sleep(Math.max(1_000, plannedEnd + 1_000 - Date.now()) + fault.tailMs);
          const seen = analyseWindow(
            target.watcher.between(
              plannedStart - 1_000,
              Math.min(Date.now() - fault.tailMs - 200, plannedEnd + DEADLINE_AFTER_END_MS),
            ),
            fault,
          );
          const leases = await lab.prisma.activeFault.findMany({ where: { runId: thisRun } });
          // the helpers' record, or the lease's where the worker keeps the clock (a container pause)
          const helper = await lab.faultRecordOf(leases);
          const residual = await lab.residual(fault);
          const trial: Trial = {
            n,
            runId: thisRun,
            target: target.name,
            fault: fault.label,
            plannedStart,
            plannedEnd,
            killedAt,
            helperApplied: helper?.appliedAt,
            helperReverted: helper?.revertedAt ?? leases[0]?.revertedAt?.getTime(),
            seenGone: seen.goneAt,
            layer: layerOf(helper?.revertReason ?? leases[0]?.revertReason),
            leaseReason: leases[0]?.revertReason ?? null,
            leases: leases.length,
            expectedLeases: fault.leases ?? 1,
            slowAgain: seen.slowAgain,
            maxOutsideMs: seen.maxOutsideMs,
            residual,
          };
          trials.push(trial);
          process.stdout.write(
            `trial ${n} (${fault.label}): armed in ${armedInMs ?? '?'} ms; killed ${driver.name} (pid ${driver.pid}) at T0+${killedAt - plannedStart} ms${postgresBackAt ? `; Postgres down until T1+${postgresBackAt - plannedEnd} ms` : ''}; helper ${helper?.state} reverted at T1+${trial.helperReverted === undefined ? '?' : trial.helperReverted - plannedEnd} ms (${trial.layer}); seen from T0+${seen.firstSlowAt === undefined ? '?' : seen.firstSlowAt - plannedStart} ms to T1+${seen.goneAt === undefined ? '?' : seen.goneAt - plannedEnd} ms; standby ${standby.name}\n`,
          );

          // one arming, its leases, applied once by the helper, gone on time, nothing left
          expect(leases).toHaveLength(fault.leases ?? 1);
          expect(helper?.state).toBe('reverted');
          expect(helper!.appliedAt).toBeGreaterThanOrEqual(plannedStart);
          expect(helper!.revertedAt).toBeLessThanOrEqual(plannedEnd + DEADLINE_AFTER_END_MS);
          expect(seen.firstSlowAt).toBeDefined();
          expect(seen.goneAt).toBeDefined();
          expect(seen.goneAt!).toBeLessThanOrEqual(plannedEnd + DEADLINE_AFTER_END_MS);
          expect(seen.slowAgain).toBe(0);
          expect(residual).toEqual([]);
          // armed once: one fault.armed per lease (a partition's two sides)
          expect(await lab.prisma.runEvent.count({ where: { runId: thisRun, type: 'fault.armed' } })).toBe(
            fault.leases ?? 1,
          );

          // The survivor is now the only worker: it resumes the killed run, then takes the next
          // trial's run, on the other target. Not both at once: the resumed run's confirmations are
          // docker execs in the one-vCPU guest, and beside them one arming took 49 s on a slow machine.
          if (n < TRIALS) {
            await until(
              `the killed run of trial ${n} to end`,
              async () => {
                const run = await lab.prisma.run.findUnique({ where: { id: thisRun } });
                return run !== null && isTerminal(run.status as RunStatus);
              },
              runEndMs(lab),
              250,
            );
            runId = await lab.runNow(
              `${name}-${n + 1}`,
              lab.targets[n % lab.targets.length],
              faultOf(n + 1),
              durationsOf(lab, faultOf(n + 1)),
            );
          }
        }

        // The killed runs are resumed by the surviving workers and reach an end; none re-injects.
        const runIds = trials.map((t) => t.runId);
        const runs = await until(
          'every run to end',
          async () => {
            const rs = await lab.prisma.run.findMany({
              where: { id: { in: runIds } },
              select: { id: true, status: true, error: true },
            });
            return rs.every((r) => isTerminal(r.status as RunStatus)) ? rs : null;
          },
          runEndMs(lab),
          250,
        );
        const byStatus = runs.reduce<Record<string, number>>(
          (acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }),
          {},
        );
        process.stdout.write(
          `runs after the kills: ${JSON.stringify(byStatus)}; skew of helper apply (T0→applied) p50 ${round1(median(trials.map((t) => (t.helperApplied ?? NaN) - t.plannedStart)))} ms\n`,
        );
        for (const r of runs)
          // a resumed run that did not complete: its events say which layer stumbled
          if (r.status !== 'completed')
            process.stdout.write(`  run ${r.id}: ${r.status}\n${await lab.timeline(r.id)}\n`);
        // a killed worker costs its runs nothing: the survivor completes each (it once failed one
        // whose lease the fault queue had closed, asking a helper being removed)
        expect(byStatus).toEqual({ completed: TRIALS });
        expect(await lab.prisma.activeFault.count({ where: { runId: { in: runIds } } })).toBe(
          trials.reduce((sum, t) => sum + t.expectedLeases, 0),
        );
        // The ledger caught up with the netns: every lease closed. (Its revertedAt is the helper's
        // instant when a worker read the helper first, else the time that worker confirmed it.)
        const ledger = await lab.prisma.activeFault.findMany({ where: { runId: { in: runIds } } });
        for (const l of ledger) {
          const t = trials.find((x) => x.runId === l.runId)!;
          process.stdout.write(
            `  lease of trial ${t.n}: closed T1+${l.revertedAt ? l.revertedAt.getTime() - t.plannedEnd : '?'} ms (${l.revertReason})\n`,
          );
          expect(l.revertedAt).not.toBeNull();
        }
        for (const f of FAULTS) expect(await lab.residual(f)).toEqual([]);
      },
      // a trial is ~80 s on a slow machine: arming, baseline, fault and recovery, then the killed
      // run's resumption after the standby's orphan timeout; a jest bound only (the arming reserve
      // inside follows the guest's pace)
      TRIALS * 240_000 + 60_000,
    );
  });
}

function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
}
