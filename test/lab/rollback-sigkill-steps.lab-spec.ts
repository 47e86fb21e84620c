// Lab tier, issue acceptance (scenarios): SIGKILL the worker that drives a multi-step run while its
// first step is in place (odd trials 250 ms after T0, before the worker confirmed the step: the run
// is still `injecting`; even ones once the host sees the step), with no other worker alive until
// the run's window is over. The first
// step (netem `delay 200ms`) must be gone by its own T1 + 5 s (its helper's clock); the second (a
// blackhole rejecting port 80), due while no worker drives the run, must never begin: its helper
// hears no heartbeat and records `no_heartbeat`, the host sees no refused connection in its window.
// A worker started afterwards takes the run over and completes it with the step `not_begun`. (A
// worker alive meanwhile takes a killed run over 10-15 s after the kill, the run queue's lock and
// stalled check, and beats again: the steps due after that begin, see the integration tests.)
// GAMEDAY_LAB_STEPS_TRIALS runs (1 by default, sized for CI; the acceptance figure is taken with 20). Real pieces only, as in tools/lab/sigkill-trials.ts.
import { isTerminal, type RunStatus } from '@gameday/core';
import { pacedMs } from '../../tools/lab/lab-pace';
import {
  analyseWindow,
  sleep,
  startRollbackLab,
  until,
  waitFaultSeenFromHost,
  waitGoneFromHost,
  waitSlowedSince,
  type RollbackLab,
} from '../../tools/lab/rollback-lab';
import { printFigures, type FigureRow } from '../../tools/lab/stats';
import { blackholeReject, netemDelay } from '../../tools/lab/trial-faults';

const TRIALS = Number(process.env.GAMEDAY_LAB_STEPS_TRIALS ?? 1);
const ORPHAN_AFTER_MS = 30_000;
const DEADLINE_AFTER_END_MS = 5_000;
const first = { ...netemDelay(200), armingCost: 2 };
const second = blackholeReject();
// the first step 0-8 s; the second from 24 s: readied 3 s ahead (T0+21 s), over 10 s (the heartbeat
// timeout) after a kill as late as T0+8 s
const STEPS = [
  { name: 'slow', at: '0s', duration: '8s', fault: first },
  { name: 'cut', at: '24s', duration: '6s', fault: second },
];
const WINDOW_S = 30;
/**
 * The standby worker, started once the window is over, must take the run over before the run's
 * end or it is failed as a run no worker drove (no result): its start and the run queue's stalled
 * check took 28 s once here (10 s of recovery failed that trial).
 */
const RECOVERY_S = 40;
/** a kill before the opening step is confirmed: the run taken over resumes `injecting` */
const KILL_IN_INJECTING_MS = 250;

interface Trial {
  n: number;
  killedAt: number;
  /** the run's status when its worker died: where the worker that takes it over resumes it */
  statusAtKill: string;
  t0: number;
  firstEnd: number;
  secondStart: number;
  secondEnd: number;
  firstGoneAt?: number;
  refusedInSecond: number;
  secondRecord: string;
  outcomes: string;
  leaseReasons: string;
  residual: string[];
}

describe('a multi-step run whose worker is SIGKILLed (Docker in user-mode-linux): no step begins without a worker', () => {
  const trials: Trial[] = [];
  let rl: RollbackLab | undefined;

  beforeAll(async () => {
    rl = await startRollbackLab({ name: 'sigkill-steps', redisDb: 12, targets: 2 });
    await rl.startWorker({ GAMEDAY_ORPHAN_AFTER_MS: String(ORPHAN_AFTER_MS) });
  }, 360_000);

  afterAll(async () => {
    if (trials.length) {
      const rows: FigureRow[] = trials.map((t) => ({
        check: `trial ${t.n}: SIGKILL at T0+${t.killedAt - t.t0} ms (${t.statusAtKill})`,
        requested: `slow 0-8 s, cut 24-30 s`,
        expected: `slow gone by its T1+${DEADLINE_AFTER_END_MS} ms; cut never begun (no_heartbeat); nothing left`,
        measured: `slow gone T1${t.firstGoneAt === undefined ? ' ?' : `+${t.firstGoneAt - t.firstEnd}`} ms; refused in cut's window ${t.refusedInSecond}; cut's helper ${t.secondRecord}; steps ${t.outcomes}; leases ${t.leaseReasons}; residual ${t.residual.length}`,
        verdict:
          t.firstGoneAt !== undefined &&
          t.firstGoneAt <= t.firstEnd + DEADLINE_AFTER_END_MS &&
          t.refusedInSecond === 0 &&
          t.secondRecord === 'cancelled/no_heartbeat' &&
          t.outcomes === 'slow:completed cut:not_begun' &&
          t.residual.length === 0
            ? 'ok'
            : 'FAIL',
      }));
      printFigures(`multi-step run, driving worker SIGKILLed (${trials.length} trials)`, rows);
    }
    await rl?.helpersGone(30_000);
    await rl?.stop();
    if (rl) expect(await rl.release()).toEqual([]);
  }, 180_000);

  it(
    `${TRIALS} trial(s): the step in place leaves by its T1, the step not begun never begins`,
    async () => {
      const lab = rl!;
      for (let n = 1; n <= TRIALS; n++) {
        expect(lab.alive).toHaveLength(1);
        const target = lab.targets[(n - 1) % lab.targets.length];
        const driver = lab.alive[0];
        const durations = lab.trialDurations(first, WINDOW_S, RECOVERY_S);
        const runId = await lab.runSteps(`steps-${n}`, target, STEPS, durations);
        const leases = await until(
          'both steps armed',
          async () => {
            const ls = await lab.prisma.activeFault.findMany({ where: { runId } });
            return ls.length === 2 ? ls : null;
          },
          durations.untilStartMs + 10_000,
          200,
        );
        const stepOf = (name: string) => leases.find((l) => (l.details as { step?: string }).step === name)!;
        const [slow, cut] = [stepOf('slow'), stepOf('cut')];
        const t0 = slow.plannedAt!.getTime();
        const firstEnd = slow.expiresAt.getTime();
        const secondStart = cut.plannedAt!.getTime();
        const secondEnd = cut.expiresAt.getTime();

        // odd trials: right after T0, while the run is still `injecting` (its worker confirms the
        // step from T0+500 ms on); even ones: once the host sees the first step
        const inInjecting = n % 2 === 1;
        if (inInjecting) await sleep(t0 + KILL_IN_INJECTING_MS - Date.now());
        else await waitFaultSeenFromHost(target, t0, first, 8_000, () => lab.timeline(runId));
        const kill = await driver.kill('SIGKILL');
        const killedAt = Date.now();
        expect(kill.signal).toBe('SIGKILL');
        const statusAtKill = (await lab.prisma.run.findUnique({ where: { id: runId } }))!.status;
        // the step lands by its helper's clock all the same
        if (inInjecting) await waitFaultSeenFromHost(target, t0, first, 8_000, () => lab.timeline(runId));
        await waitSlowedSince(target, killedAt, first);
        await waitGoneFromHost(target, t0, first, firstEnd + DEADLINE_AFTER_END_MS);
        const slowSeen = analyseWindow(target.watcher.between(t0 - 1_000, secondStart - 1_000), first);
        // the second step's window and a second after, as the host's requests saw it
        await sleep(Math.max(0, secondEnd + 1_000 - Date.now()));
        const inSecond = target.watcher.between(secondStart, secondEnd + 500);
        const refused = inSecond.filter((s) => second.shaped(s)).length;
        const cutRecord = await lab.helperStatus(cut.helperContainerId!);
        // only now a worker again: it takes the killed run over (its job's lock long expired)
        const standby = await lab.startWorker({ GAMEDAY_ORPHAN_AFTER_MS: String(ORPHAN_AFTER_MS) });

        const run = await until(
          'the killed run to end (taken over by the worker started after its window)',
          async () => {
            const r = await lab.prisma.run.findUnique({ where: { id: runId } });
            return r && isTerminal(r.status as RunStatus) ? r : null;
          },
          pacedMs(lab.pace, 60_000),
          250,
        );
        if (!run.result)
          throw new Error(
            `trial ${n}: run ${run.status} with no result (${run.error ?? 'no error'}); worker logs in ${lab.logDir}\n${await lab.timeline(runId)}`,
          );
        const steps = (run.result as { experiments: { steps: { name: string; outcome: string }[] }[] }).experiments[0]
          .steps;
        const closed = await lab.prisma.activeFault.findMany({ where: { runId } });
        const trial: Trial = {
          n,
          killedAt,
          statusAtKill,
          t0,
          firstEnd,
          secondStart,
          secondEnd,
          firstGoneAt: slowSeen.goneAt,
          refusedInSecond: refused,
          secondRecord: `${cutRecord?.state}/${cutRecord?.revertReason}`,
          outcomes: steps.map((s) => `${s.name}:${s.outcome}`).join(' '),
          leaseReasons: closed.map((l) => `${(l.details as { step?: string }).step}:${l.revertReason}`).join(' '),
          residual: [...(await lab.residual(first)), ...(await lab.residual(second))],
        };
        trials.push(trial);
        process.stdout.write(
          `trial ${n}: killed at T0+${killedAt - t0} ms (${statusAtKill}); slow gone T1+${trial.firstGoneAt === undefined ? '?' : trial.firstGoneAt - firstEnd} ms; cut ${trial.secondRecord}, ${refused} refused in its window of ${inSecond.length} requests; run ${run.status}, steps ${trial.outcomes}; leases ${trial.leaseReasons}; standby ${standby.name}\n`,
        );
        if (run.status !== 'completed') process.stdout.write(`${await lab.timeline(runId)}\n`);

        expect(killedAt).toBeLessThan(firstEnd);
        if (inInjecting) expect(statusAtKill).toBe('injecting');
        expect(trial.firstGoneAt).toBeDefined();
        expect(trial.firstGoneAt!).toBeLessThanOrEqual(firstEnd + DEADLINE_AFTER_END_MS);
        // the step not begun never began: nothing refused, its helper says why, so do the run and the ledger
        expect(inSecond.length).toBeGreaterThan(0);
        expect(refused).toBe(0);
        expect(trial.secondRecord).toBe('cancelled/no_heartbeat');
        expect(run.status).toBe('completed');
        expect(trial.outcomes).toBe('slow:completed cut:not_begun');
        expect(closed.find((l) => l.id === cut.id)).toMatchObject({ revertReason: 'no_heartbeat', injectedAt: null });
        expect(closed.every((l) => l.revertedAt !== null)).toBe(true);
        expect(trial.residual).toEqual([]);
      }
    },
    TRIALS * 300_000 + 60_000,
  );
});
