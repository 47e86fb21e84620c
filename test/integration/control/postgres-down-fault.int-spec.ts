import Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import { ensureLabTargetImage } from '../../../tools/lab/lab-images';
import { waitFor } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';
import { Relay, withPort } from '../../support/tcp-relay';
import { pauseGameDay } from './control-support';

// A container fault (a paused container) while the worker cannot reach Postgres: it comes out by
// its planned end all the same, from what the worker holds or, when the worker is stuck on the cut
// itself (a cut during the apply's writes), by the fault's watchdog at T1 on the engine's clock;
// the lease is closed once Postgres is back. The worker reaches the real Postgres through a TCP
// relay this test cuts; the API and the test's own client do not.
jest.setTimeout(120_000);

const docker = new Docker();
const TARGET = `gd-pgdown-target-${randomUUID().slice(0, 8)}`;
const FAULT_MS = 4_000;

describe('container fault reverted at its planned end while Postgres is unreachable', () => {
  const stack = useStack({ name: 'pg-down-fault' });
  const { config, prisma } = stack;
  const db = new URL(config.DATABASE_URL);
  const relay = new Relay(db.hostname, Number(db.port || 5432));
  let targetUrl: string;

  beforeAll(async () => {
    const image = await ensureLabTargetImage(docker);
    const c = await docker.createContainer({ name: TARGET, Image: image, Labels: { 'gameday.enabled': 'true' } });
    await c.start();
    targetUrl = `http://${(await c.inspect()).NetworkSettings.Networks.bridge.IPAddress}/`;
    await relay.start();
    await stack.startWorker('real', {
      ...config,
      DATABASE_URL: withPort(config.DATABASE_URL, '127.0.0.1', relay.port),
    });
  });
  // the worker closes over the relay: it is back up while the stack closes
  stack.beforeClose(() => relay.start().catch(() => undefined));

  afterAll(async () => {
    await relay.stop();
    await docker
      .getContainer(TARGET)
      .remove({ force: true })
      .catch(() => undefined);
  });

  const paused = async () => (await docker.getContainer(TARGET).inspect()).State.Paused;

  /**
   * Creates and runs a GameDay pausing the target; resolves once the target is paused and the run
   * observes, or (`cutOnPause`) cuts Postgres the moment the pause is seen, while the worker still
   * writes the apply, and resolves then.
   */
  async function startPausedRun(recovery: string, cutOnPause = false) {
    const durations = { arming: '1s', baseline: '2s', fault: `${FAULT_MS / 1000}s`, recovery };
    const created = await stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .send(pauseGameDay({ name: TARGET, url: targetUrl }, durations));
    expect(created.status).toBe(201);
    stack.gameDayIds.push(created.body.id);
    const started = await stack.http.post(`/api/v1/gamedays/${created.body.id}/runs`).set(stack.admin).send({});
    expect(started.status).toBe(201);
    const runId = started.body.id as string;
    if (cutOnPause) {
      await waitFor('the target to be paused', paused, 20_000, 5);
      await relay.stop();
    }
    const lease = await waitFor(
      'the target to be paused',
      async () => ((await paused()) ? prisma.activeFault.findFirst({ where: { runId } }) : null),
      20_000,
      20,
    );
    if (cutOnPause) return { runId, lease, plannedEnd: lease.plannedAt!.getTime() + FAULT_MS };
    // cut once the worker has recorded the apply and is observing (the worker's own revert from
    // memory is what this case shows; a cut during the apply's writes is the next test's)
    await waitFor(
      'the run to observe',
      async () => (await prisma.run.findUnique({ where: { id: runId } }))?.status === 'observing',
      20_000,
      20,
    );
    return { runId, lease, plannedEnd: lease.plannedAt!.getTime() + FAULT_MS };
  }

  it('has the target unpaused by T1 with Postgres cut off, and records when once it is back', async () => {
    const { lease, plannedEnd } = await startPausedRun('2s');
    // the worker loses Postgres for the rest of the fault and well past its end
    await relay.stop();
    const cutAt = Date.now();
    expect(cutAt).toBeLessThan(plannedEnd - 1_000);

    let unpausedAt: number | undefined;
    while (Date.now() < plannedEnd + 5_000) {
      if (!(await paused())) {
        unpausedAt = Date.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    console.log(
      `Postgres cut at T1-${plannedEnd - cutAt} ms; target unpaused ${unpausedAt === undefined ? 'not within T1+5 s' : `at T1+${unpausedAt - plannedEnd} ms`}`,
    );
    expect(unpausedAt).toBeDefined();
    expect(unpausedAt!).toBeLessThanOrEqual(plannedEnd + 1_000);
    // Postgres stays away a while longer: nothing re-applies the fault meanwhile
    await new Promise((r) => setTimeout(r, Math.max(0, plannedEnd + 5_000 - Date.now())));
    expect(await paused()).toBe(false);

    // back: the ledger closes the lease and the run ends
    await relay.start();
    const closed = await waitFor(
      'the lease to be closed',
      async () => {
        const row = await prisma.activeFault.findUniqueOrThrow({ where: { id: lease.id } });
        return row.revertedAt ? row : null;
      },
      30_000,
      200,
    );
    console.log(`lease closed as ${closed.revertReason} at T1+${closed.revertedAt!.getTime() - plannedEnd} ms`);
    expect(await paused()).toBe(false);
    // with the instant the worker unpaused the target, not when Postgres came back (the worker reads
    // its clock when Docker's unpause call returns: the test's poll may see it a few ms sooner)
    // the run fails at once when a write meets the cut first (run_failed), or the worker unpauses at
    // T1 from memory (planned_end), or the fault's watchdog does at T1 before the worker comes
    // (watchdog_deadline): in each case before T1+1 s, and the ledger says which
    expect(['run_failed', 'planned_end', 'watchdog_deadline']).toContain(closed.revertReason);
    expect(closed.revertedAt!.getTime()).toBeGreaterThanOrEqual(cutAt);
    expect(closed.revertedAt!.getTime()).toBeLessThanOrEqual(unpausedAt! + 500);
  });

  it('resumes and completes a run whose worker lost Postgres for a few seconds across T1 (a restart)', async () => {
    const { runId, lease, plannedEnd } = await startPausedRun('15s');
    // cut from half a second before T1 to three seconds after, as a Postgres restart would
    await new Promise((r) => setTimeout(r, Math.max(0, plannedEnd - 500 - Date.now())));
    await relay.stop();
    await new Promise((r) => setTimeout(r, Math.max(0, plannedEnd + 3_000 - Date.now())));
    expect(await paused()).toBe(false);
    await relay.start();

    const run = await waitFor(
      'the run to end',
      async () => {
        const r = await prisma.run.findUniqueOrThrow({ where: { id: runId } });
        return ['completed', 'failed', 'aborted'].includes(r.status) ? r : null;
      },
      40_000,
      200,
    );
    const events = await prisma.runEvent.findMany({ where: { runId }, orderBy: { id: 'asc' } });
    console.log(`Postgres cut T1-500 ms .. T1+3 s: run ${run.status}; ${events.map((e) => e.type).join(', ')}`);
    expect({ status: run.status, error: run.error }).toEqual({ status: 'completed', error: null });
    expect(events.some((e) => e.type === 'run.resumed')).toBe(true);
    expect(await paused()).toBe(false);
    const closed = await prisma.activeFault.findUniqueOrThrow({ where: { id: lease.id } });
    expect(closed.revertedAt).not.toBeNull();
    expect(closed.revertedAt!.getTime()).toBeLessThanOrEqual(plannedEnd + 1_000);
  });
  it('has the target unpaused by T1+1 s when Postgres is cut during the apply (the watchdog)', async () => {
    const { runId, lease, plannedEnd } = await startPausedRun('2s', true);
    const cutAt = Date.now();
    let unpausedAt: number | undefined;
    while (Date.now() < plannedEnd + 5_000) {
      if (!(await paused())) {
        unpausedAt = Date.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    console.log(
      `Postgres cut during the apply (T1-${plannedEnd - cutAt} ms); target unpaused ${unpausedAt === undefined ? 'not within T1+5 s' : `at T1+${unpausedAt - plannedEnd} ms`}`,
    );
    expect(unpausedAt).toBeDefined();
    expect(unpausedAt!).toBeLessThanOrEqual(plannedEnd + 1_000);
    // the lease names the watchdog armed with the fault
    expect(lease.helperContainerId).toBeTruthy();
    await new Promise((r) => setTimeout(r, Math.max(0, plannedEnd + 3_000 - Date.now())));
    expect(await paused()).toBe(false);

    await relay.start();
    const run = await waitFor(
      'the run to end',
      async () => {
        const r = await prisma.run.findUniqueOrThrow({ where: { id: runId } });
        return ['completed', 'failed', 'aborted'].includes(r.status) ? r : null;
      },
      60_000,
      200,
    );
    const closed = await waitFor(
      'the lease to be closed',
      async () => {
        const row = await prisma.activeFault.findUniqueOrThrow({ where: { id: lease.id } });
        return row.revertedAt ? row : null;
      },
      60_000,
      200,
    );
    console.log(
      `run ${run.status}; lease closed as ${closed.revertReason} at T1+${closed.revertedAt!.getTime() - plannedEnd} ms`,
    );
    expect(closed.revertedAt!.getTime()).toBeLessThanOrEqual(plannedEnd + 1_000);
    expect(await paused()).toBe(false);
    // nothing of the fault is left on the engine: its watchdog is removed with the lease's revert
    await waitFor(
      'the watchdog to be removed',
      async () =>
        docker
          .getContainer(lease.helperContainerId!)
          .inspect()
          .then(() => false)
          .catch(() => true),
      30_000,
      200,
    );
  });
});
