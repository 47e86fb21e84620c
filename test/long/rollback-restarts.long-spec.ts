// Long tier (in the lab) until a flake is understood: in a CI rehearsal both cases' runs stayed
// `scheduled` (no worker took them) while the same file passed the rehearsal before.
// Lab tier: the infrastructure under a fault restarts across its planned end.
//  1. The engine's dockerd (run with live-restore, as a target host should be): targets and
//     helpers keep running, the helper takes the fault out by its own clock, and the worker waits
//     for the engine to answer, confirms, and the run completes (an engine that does not answer is
//     no lost fault).
//  2. Postgres (a cluster of the test's own, fast mode: every connection terminated): the helper needs none
//     of it; the run's job is retried once Postgres answers, resumes the run and completes it.
// Either way the fault is gone by the planned end + 5 s as seen from the host, one lease, closed,
// and nothing left. The scenarios take the kinds in turn (GAMEDAY_LAB_TRIAL_FAULTS, netem then
// blackhole by default; tools/lab/trial-faults.ts).
import { isTerminal, type RunStatus } from '@gameday/core';
import {
  analyseWindow,
  layerOf,
  sleep,
  startRollbackLab,
  until,
  waitFaultSeenFromHost,
  waitGoneFromHost,
  type RollbackLab,
} from '../../tools/lab/rollback-lab';
import { printFigures, type FigureRow } from '../../tools/lab/stats';
import { trialFaults, type TrialFault } from '../../tools/lab/trial-faults';

const FAULTS = trialFaults();
const FAULT_S = 8;
// recovery 15 s: long enough that a run resumed a few seconds after the planned end still has it
const DEADLINE_AFTER_END_MS = 5_000;

const rel = (t: number | undefined | null, base: number) =>
  t === undefined || t === null || Number.isNaN(t) ? '-' : `${t - base >= 0 ? '+' : ''}${t - base} ms`;

describe('rollback across restarts of the engine and of Postgres (Docker in user-mode-linux)', () => {
  const rows: FigureRow[] = [];
  let rl: RollbackLab | undefined;

  beforeAll(async () => {
    const t0 = Date.now();
    rl = await startRollbackLab({ name: 'restarts', redisDb: 10, privatePostgres: true });
    // the product's orphan timeout, not the lab's 3 s: a run confirming its revert while the engine
    // restarts is late, not orphaned
    await rl.startWorker({ GAMEDAY_ORPHAN_AFTER_MS: '60000' });
    process.stdout.write(`rollback lab ready in ${Date.now() - t0} ms; worker logs in ${rl.logDir}\n`);
    // the lane's first file boots the shared guest and loads every image: over 180 s on a slow host
  }, 360_000);

  afterAll(async () => {
    if (rows.length) printFigures('rollback across restarts', rows);
    await rl?.stop();
    // nothing of this file stays in the (shared) engine: targets removed, no helper left
    if (rl) expect(await rl.release()).toEqual([]);
  }, 60_000);

  /** Runs a fault, calls `restart` `beforeEndMs` before its planned end, and measures the outcome. */
  async function scenario<R extends object>(
    label: string,
    fault: TrialFault,
    beforeEndMs: number,
    restart: (plannedEnd: number) => Promise<R>,
  ) {
    const lab = rl!;
    expect(lab.alive).toHaveLength(1);
    const worker = lab.alive[0];
    const target = lab.targets[0];
    const durations = lab.trialDurations(fault, FAULT_S, 15);
    const runId = await lab.runNow(label, target, fault, durations);
    const { lease, plannedStart, plannedEnd } = await lab.armedLease(runId, fault, durations.untilStartMs + 30_000);
    await waitFaultSeenFromHost(target, plannedStart, fault, FAULT_S * 1_000, () => lab.timeline(runId));

    await sleep(plannedEnd - beforeEndMs - Date.now());
    const restarted = await restart(plannedEnd);
    await waitGoneFromHost(target, plannedStart, fault, plannedEnd + DEADLINE_AFTER_END_MS);
    await sleep(Math.max(1_000, plannedEnd + 1_000 - Date.now()) + fault.tailMs);
    const seen = analyseWindow(
      target.watcher.between(plannedStart - 1_000, Math.min(Date.now() - fault.tailMs - 200, plannedEnd + 30_000)),
      fault,
    );
    // the helper's record, or the lease's where the worker keeps the clock (a container pause),
    // which closes once the worker is through the restart
    const helper = await lab.faultRecord(lease, 60_000);
    const run = await until(
      'the run to end',
      async () => {
        const r = await lab.prisma.run.findUnique({ where: { id: runId } });
        return r && isTerminal(r.status as RunStatus) ? r : null;
      },
      120_000,
      250,
    );
    const row = await until(
      'the lease to be closed',
      async () => {
        const r = await lab.prisma.activeFault.findUniqueOrThrow({ where: { id: lease.id } });
        return r.revertedAt ? r : null;
      },
      60_000,
      250,
    );
    const leases = await lab.prisma.activeFault.count({ where: { runId } });
    const reverted = await lab.prisma.runEvent.findFirst({ where: { runId, type: 'fault.reverted' } });
    const lost = await lab.prisma.runEvent.count({ where: { runId, type: 'fault.lost' } });
    const residual = await lab.residual(fault);
    const restartFigures = Object.entries(restarted)
      .map(([k, v]) => `${k} T1${rel(v as number, plannedEnd)}`)
      .join(', ');
    const result = {
      plannedEnd,
      restarted,
      helper,
      seen,
      run,
      lease: row,
      leases,
      lost,
      residual,
      workerAlive: worker.alive,
    };
    rows.push({
      check: `${label} (${fault.label})`,
      requested: `planned T0 ${new Date(plannedStart).toISOString().slice(11, 23)}, end T1 ${new Date(plannedEnd).toISOString().slice(11, 23)}`,
      expected: `gone by T1+${DEADLINE_AFTER_END_MS} ms, 1 lease closed, nothing left`,
      measured: `${restartFigures}; helper ${helper?.state} T1${rel(helper?.revertedAt, plannedEnd)} (${layerOf(helper?.revertReason)}); seen gone T1${rel(seen.goneAt, plannedEnd)}; lease closed T1${rel(row.revertedAt?.getTime(), plannedEnd)} (${row.revertReason}); run ${run.status}${run.error ? ` (${run.error})` : ''}; ${reverted?.message ?? 'no fault.reverted event'}; worker ${worker.alive ? 'alive' : 'exited'}`,
      verdict:
        seen.goneAt !== undefined &&
        seen.goneAt <= plannedEnd + DEADLINE_AFTER_END_MS &&
        helper?.state === 'reverted' &&
        leases === 1 &&
        residual.length === 0
          ? 'ok'
          : 'FAIL',
    });
    process.stdout.write(`${label} (${fault.label}): ${rows[rows.length - 1].measured}\n`);
    // a failed scenario says what the run went through and what the worker logged
    if (rows[rows.length - 1].verdict !== 'ok')
      process.stdout.write(`${await lab.timeline(runId)}\nworker log:\n${worker.logTail(3_000)}\n`);
    // the fault itself: out on time by the helper's clock, seen so from the host, nothing left
    expect(helper?.state).toBe('reverted');
    expect(helper!.revertedAt).toBeLessThanOrEqual(plannedEnd + DEADLINE_AFTER_END_MS);
    expect(seen.goneAt).toBeDefined();
    expect(seen.goneAt!).toBeLessThanOrEqual(plannedEnd + DEADLINE_AFTER_END_MS);
    expect(seen.slowAgain).toBe(0);
    expect(leases).toBe(1);
    expect(residual).toEqual([]);
    // the ledger records when the fault left (the helper's instant), not when somebody could look
    expect(row.revertedAt!.getTime()).toBeLessThanOrEqual(plannedEnd + DEADLINE_AFTER_END_MS);
    return result;
  }

  it('dockerd restarts across the planned end: the helper reverts on its own clock, the worker waits for the engine, the run completes', async () => {
    const r = await scenario('engine restart', FAULTS[0], 1_500, () => rl!.lab.restartDockerd());
    const restart = r.restarted;
    // the engine was going down or away at the planned end: that is what this test is about
    expect(restart.stoppingAt).toBeLessThanOrEqual(r.plannedEnd);
    expect(restart.answeringAt).toBeGreaterThan(r.plannedEnd);
    // an engine that did not answer is no lost fault: the run is not aborted, it completes
    expect(r.lost).toBe(0);
    expect({ status: r.run.status, error: r.run.error }).toEqual({ status: 'completed', error: null });
    expect(r.workerAlive).toBe(true);
  }, 240_000);

  it('Postgres restarts across the planned end: the helper needs none of it, the run is resumed and completes, the ledger closes', async () => {
    // down from T1-300 ms until T1+500 ms at least: the outage spans the planned end on any machine
    const r = await scenario('postgres restart', FAULTS[1 % FAULTS.length], 300, (plannedEnd) =>
      rl!.postgres!.restart(rl!.config.DATABASE_URL, { downUntil: plannedEnd + 500 }),
    );
    const restart = r.restarted;
    // Postgres was going down or away at the planned end
    expect(restart.requestedAt).toBeLessThanOrEqual(r.plannedEnd);
    expect(restart.answeringAt).toBeGreaterThan(r.plannedEnd);
    // a Postgres restart is no reason to fail the GameDay: the run is resumed and completes
    expect({ status: r.run.status, error: r.run.error }).toEqual({ status: 'completed', error: null });
    expect(r.workerAlive).toBe(true);
  }, 240_000);
});
