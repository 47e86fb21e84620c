// Lab tier, issue acceptance: Redis loses everything while a fault is active. The delayed revert
// job and the run's own job vanish with it, and the worker driving the run is SIGKILLed too, so
// only what does not depend on Redis is left:
//  1. the helper in the target's netns reverts at T1 by its own clock;
//  2. with that helper removed as well, the standby worker's reaper reverts from Postgres alone.
// Either way the fault must be gone by the planned end + 5 s, and the orphaned run is closed. The
// scenarios take the kinds in turn (GAMEDAY_LAB_TRIAL_FAULTS, netem then blackhole by default).
//
// The lab's Redis database (index 9) is its own, so FLUSHDB touches no other test's keys.
import { reaperDeadlineMs } from '../../tools/lab/lab-pace';
import { printFigures, type FigureRow } from '../../tools/lab/stats';
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
} from '../../tools/lab/rollback-lab';
import { trialFaults, type TrialFault } from '../../tools/lab/trial-faults';

const FAULTS = trialFaults();
// 8 s: room to see the fault from the host, flush Redis, kill the driver and remove a helper
// container in the one-vCPU guest (seconds there) before T1
const FAULT_S = 8;
/** the helper's clock: it reverts at T1 itself */
const DEADLINE_AFTER_END_MS = 5_000;
// the reaper after the helper was removed too: reaperDeadlineMs of the guest's pace (its sweep and
// a fresh helper container started in the target's netns: 15 s on a quick lab; a guest starting a
// container in 10.7 s reverted at T1+17.2 s and failed a fixed 15 s)

describe('rollback after Redis lost everything (Docker in user-mode-linux)', () => {
  const rows: FigureRow[] = [];
  let rl: RollbackLab | undefined;

  beforeAll(async () => {
    const t0 = Date.now();
    rl = await startRollbackLab({ name: 'redisloss', redisDb: 9 });
    await rl.startWorker();
    process.stdout.write(`rollback lab ready in ${Date.now() - t0} ms; worker logs in ${rl.logDir}\n`);
    // the lane's first file boots the shared guest and loads every image: over 180 s on a slow host
  }, 360_000);

  afterAll(async () => {
    if (rows.length) printFigures('rollback after FLUSHDB + SIGKILL of the driving worker', rows);
    await rl?.stop();
    // nothing of this file stays in the (shared) engine: targets removed, no helper left
    if (rl) expect(await rl.release()).toEqual([]);
  }, 60_000);

  async function scenario(
    label: string,
    fault: TrialFault,
    removeHelper: boolean,
    expectedReason: RegExp,
  ): Promise<void> {
    const lab = rl!;
    const deadline = removeHelper ? reaperDeadlineMs(lab.pace) : DEADLINE_AFTER_END_MS;
    expect(lab.alive).toHaveLength(1);
    const driver = lab.alive[0];
    const target = lab.targets[0];
    const durations = lab.trialDurations(fault, FAULT_S, 2);
    const runId = await lab.runNow(`redis-${label}`, target, fault, durations);
    await until(
      'the driver to take the run',
      async () => (await lab.prisma.run.findUnique({ where: { id: runId } }))?.status !== 'scheduled',
      15_000,
    );
    const standby = await lab.startWorker();
    const { lease, plannedStart, plannedEnd } = await lab.armedLease(runId, fault, durations.untilStartMs + 30_000);
    const helperId = lease.helperContainerId!;
    // Applied, as the host sees it; the guest is asked nothing until the fault is gone (an exec in
    // the one-vCPU guest costs ~2 s there and competes with the helper's own revert).
    await waitFaultSeenFromHost(target, plannedStart, fault, FAULT_S * 1_000, () => lab.timeline(runId));

    // Redis forgets the delayed revert job and the run's job; the driver dies; optionally the helper too.
    await lab.flushRedis();
    const flushedAt = Date.now();
    await driver.kill('SIGKILL');
    if (removeHelper) await lab.lab.docker.getContainer(helperId).remove({ force: true });
    const killedAt = Date.now();
    // still in place after all that: a request started after the kill is shaped by it
    await waitSlowedSince(target, killedAt, fault);
    expect(killedAt).toBeLessThan(plannedEnd);

    // Until the fault is gone as the host sees it (or the deadline passed); the helper's record and
    // the lease are read afterwards.
    await waitGoneFromHost(target, plannedStart, fault, plannedEnd + deadline);
    await sleep(Math.max(1_000, plannedEnd + 1_000 - Date.now()) + fault.tailMs);
    const seen = analyseWindow(
      target.watcher.between(plannedStart - 1_000, Math.min(Date.now() - fault.tailMs - 200, plannedEnd + deadline)),
      fault,
    );
    // with Redis gone, only the reaper (Postgres) closes the lease
    const row = await until(
      'the lease to be closed',
      async () => {
        const r = await lab.prisma.activeFault.findUniqueOrThrow({ where: { id: lease.id } });
        return r.revertedAt ? r : null;
      },
      20_000,
      200,
    );
    // the helper's record, or the lease's where the worker keeps the clock (a container pause)
    const helper = removeHelper ? null : await lab.faultRecord(lease);
    if (helper) expect(helper.appliedAt).toBeGreaterThanOrEqual(plannedStart);
    const revertedAt = helper?.revertedAt ?? row.revertedAt?.getTime();
    const residual = await lab.residual(fault);
    const rel = (t: number | undefined) =>
      t === undefined ? '?' : `T1${t - plannedEnd >= 0 ? '+' : ''}${t - plannedEnd} ms`;
    const ok =
      revertedAt !== undefined &&
      revertedAt <= plannedEnd + deadline &&
      seen.goneAt !== undefined &&
      seen.goneAt <= plannedEnd + deadline &&
      residual.length === 0;
    rows.push({
      check: `${fault.label}: FLUSHDB at T0+${flushedAt - plannedStart} ms + SIGKILL${removeHelper ? ' + helper removed' : ''}`,
      requested: `fault T0 → T1 (${FAULT_S}s), standby ${standby.name}`,
      expected: `gone by T1+${deadline} ms, nothing left`,
      measured: `reverted ${rel(revertedAt)} by ${layerOf(helper?.revertReason ?? row.revertReason)} (lease: ${row.revertReason}); seen gone ${rel(seen.goneAt)}; residual ${residual.length}`,
      verdict: ok ? 'ok' : 'FAIL',
    });
    expect(row.revertReason).toMatch(expectedReason);
    expect(revertedAt!).toBeLessThanOrEqual(plannedEnd + deadline);
    expect(seen.goneAt).toBeDefined();
    expect(seen.goneAt!).toBeLessThanOrEqual(plannedEnd + deadline);
    expect(seen.slowAgain).toBe(0);
    expect(residual).toEqual([]);
    expect(await lab.prisma.activeFault.count({ where: { runId } })).toBe(1);

    // Nothing in Redis knows the run any more: the reaper closes it from Postgres.
    const closed = await until(
      'the orphaned run to be closed',
      async () => {
        const r = await lab.prisma.run.findUnique({ where: { id: runId } });
        return r && ['failed', 'completed', 'aborted'].includes(r.status) ? r : null;
      },
      30_000,
      250,
    );
    process.stdout.write(`${label}: run ended ${closed.status}: ${closed.error ?? ''}\n`);
    expect(closed.status).toBe('failed');
  }

  it('the helper still reverts at T1 by its own clock', async () => {
    await scenario('helper-clock', FAULTS[0], false, /^(helper_scheduled|reaper)$/);
  }, 150_000);

  it('with the helper gone as well, the reaper reverts from Postgres alone', async () => {
    await scenario('reaper', FAULTS[1 % FAULTS.length], true, /^reaper$/);
  }, 150_000);
});
