import Docker from 'dockerode';
import { readRunResult, type GateResult, type StepResult } from '@gameday/core';
import { randomUUID } from 'node:crypto';
import { ensureLabTargetImage } from '../../../tools/lab/lab-images';
import { runEnded, waitFor } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';

// Real Postgres, Redis, BullMQ and Docker Engine, through the API and the worker. The host kernel
// has no netem: the steps are container pauses (the worker's clock) and blackholes (iptables, the
// helper's clock) on two targets.
jest.setTimeout(120_000);

const docker = new Docker();
const RUN = randomUUID().slice(0, 8);
const TARGETS = [`gd-steps-a-${RUN}`, `gd-steps-b-${RUN}`];
/**
 * How far from its planned instant a step may land: a bound on the test's sanity, not the target
 * (the figures are printed; bench/ owns the millisecond ones). A pause is the worker's own call at
 * T0, and beside CI's other lanes one landed 904 ms late.
 */
const APPLY_SKEW_MS = 2_000;
const REVERT_SKEW_MS = 2_000;

const pause = (container: string) => ({ kind: 'container', target: { container }, action: 'pause' });
const reject80 = (container: string) => ({
  kind: 'blackhole',
  target: { container },
  direction: 'ingress',
  localPorts: [80],
  action: 'reject',
  protocol: 'tcp',
});

describe('an experiment of several steps (worker + API + Docker)', () => {
  const stack = useStack({ name: 'steps', worker: 'real' });
  const urls: string[] = [];
  const targetIds: string[] = [];

  beforeAll(async () => {
    const image = await ensureLabTargetImage(docker);
    for (const name of TARGETS) {
      const c = await docker.createContainer({ name, Image: image, Labels: { 'gameday.enabled': 'true' } });
      await c.start();
      targetIds.push(c.id);
      urls.push(`http://${(await c.inspect()).NetworkSettings.Networks.bridge.IPAddress}/`);
    }
  });

  afterAll(async () => {
    for (const name of TARGETS)
      await docker
        .getContainer(name)
        .remove({ force: true })
        .catch(() => undefined);
  });

  function spec(steps: unknown[], fault: string) {
    return {
      name: `steps-${randomUUID()}`,
      timezone: 'UTC',
      schedule: { at: new Date(Date.now() + 3600_000).toISOString() },
      experiments: [
        {
          name: 'bad afternoon',
          hypothesis: {
            description: 'the front answers',
            probes: [{ name: 'a', url: urls[0], timeoutMs: 300, interval: '200ms' }],
          },
          steps,
          // four steps arm eight containers' worth of helpers and watchdogs: room for it on a busy host
          durations: { arming: '8s', baseline: '2s', fault, recovery: '1s' },
        },
      ],
    };
  }

  const started: string[] = [];
  // each test waits for its run to be over even when it fails, so the next one arms free targets
  afterEach(async () => {
    for (const id of started.splice(0)) await runEnded(stack.prisma, id).catch(() => undefined);
  });

  async function runNow(body: object): Promise<string> {
    const created = await stack.http.post('/api/v1/gamedays').set(stack.admin).send(body);
    expect(created.status).toBe(201);
    stack.gameDayIds.push(created.body.id);
    const run = await stack.http.post(`/api/v1/gamedays/${created.body.id}/runs`).set(stack.admin).send({});
    expect(run.status).toBe(201);
    started.push(run.body.id);
    return run.body.id as string;
  }

  const paused = async (i: number) => (await docker.getContainer(TARGETS[i]).inspect()).State.Paused;
  /** what a request to a target's port 80 gets from the host: an answer, a refusal (the blackhole) or nothing */
  async function answers(i: number): Promise<'ok' | 'refused' | 'timeout'> {
    try {
      await fetch(urls[i], { signal: AbortSignal.timeout(500) });
      return 'ok';
    } catch (e) {
      return (e as Error).name === 'TimeoutError' ? 'timeout' : 'refused';
    }
  }
  /** `check` while the run is live; a run that ended early fails the wait at once, saying why */
  async function whileRunning(runId: string, check: () => Promise<boolean>): Promise<true | null> {
    const run = await stack.prisma.run.findUniqueOrThrow({ where: { id: runId } });
    if (run.finishedAt) throw new Error(`the run ended ${run.status}: ${run.error ?? run.abortReason ?? ''}`);
    return (await check()) || null;
  }
  /** helpers (and container-fault watchdogs) started for our targets that are still there */
  const helpersLeft = async () =>
    (await docker.listContainers({ all: true })).filter((c) => targetIds.includes(c.Labels['gameday.target']));

  it('refuses a cycle and two steps on one target at once with a 400 naming the field and both steps', async () => {
    const cycle = spec(
      [
        { name: 'x', fault: pause(TARGETS[0]), after: 'y', duration: '1s' },
        { name: 'y', fault: pause(TARGETS[1]), after: 'x', duration: '1s' },
      ],
      '6s',
    );
    const res = await stack.http.post('/api/v1/gamedays').set(stack.admin).send(cycle);
    expect(res.status).toBe(400);
    expect(res.body.errors).toContainEqual({
      field: 'experiments[0].steps[0].after',
      message: 'steps wait for each other in a cycle: x → y → x',
    });
    const overlap = spec(
      [
        { name: 'one', fault: pause(TARGETS[0]), duration: '4s' },
        { name: 'two', fault: pause(TARGETS[0]), at: '2s', duration: '2s' },
      ],
      '6s',
    );
    const res2 = await stack.http.post('/api/v1/gamedays').set(stack.admin).send(overlap);
    expect(res2.status).toBe(400);
    expect(res2.body.errors).toEqual([
      expect.objectContaining({
        field: 'experiments[0].steps[1].fault.target',
        message: expect.stringContaining('steps "one" and "two"'),
      }),
    ]);
  });

  it('lands steps in sequence and in parallel on their planned instants, each lease naming its step', async () => {
    const runId = await runNow(
      spec(
        [
          // in parallel from the window's start: a pause of A (worker) and a blackhole on B (helper)
          { name: 'a-paused', fault: pause(TARGETS[0]), duration: '3s' },
          { name: 'b-blocked', fault: reject80(TARGETS[1]), duration: '2s' },
          // in sequence: B paused once A is back
          { name: 'b-paused', fault: pause(TARGETS[1]), after: 'a-paused', duration: '2s' },
          // a helper's clock mid-window, alone
          { name: 'a-blocked', fault: reject80(TARGETS[0]), at: '5500ms', duration: '1500ms' },
        ],
        '8s',
      ),
    );
    // seen from outside while it runs: A paused and B refused from the start (the worker's pause
    // lands some tens of ms after the helper's rules), then B paused once A is back
    await waitFor('B blackholed', () => whileRunning(runId, async () => (await answers(1)) === 'refused'), 20_000, 50);
    await waitFor('A paused', async () => (await paused(0)) || null, 1_000, 20);
    await waitFor('B paused after A', async () => ((await paused(1)) && !(await paused(0))) || null, 10_000, 50);

    const run = await runEnded(stack.prisma, runId);
    expect(run.error).toBeNull();
    expect(run.status).toBe('completed');
    const injectAt = readRunResult(run.result).experiments[0].plan.injectAt;
    const planned: Record<string, [number, number]> = {
      'a-paused': [0, 3_000],
      'b-blocked': [0, 2_000],
      'b-paused': [3_000, 5_000],
      'a-blocked': [5_500, 7_000],
    };

    const leases = await stack.prisma.activeFault.findMany({ where: { runId } });
    expect(leases).toHaveLength(4);
    for (const lease of leases) {
      const step = (lease.details as { step?: string }).step!;
      const [start, end] = planned[step];
      const applySkew = lease.injectedAt!.getTime() - (injectAt + start);
      const revertSkew = lease.revertedAt!.getTime() - (injectAt + end);
      console.log(`step ${step} on ${lease.containerName}: applied +${applySkew} ms, reverted +${revertSkew} ms`);
      expect(applySkew).toBeGreaterThanOrEqual(0);
      expect(applySkew).toBeLessThan(APPLY_SKEW_MS);
      expect(revertSkew).toBeGreaterThanOrEqual(-5);
      expect(revertSkew).toBeLessThan(REVERT_SKEW_MS);
      expect(lease.containerName).toBe(TARGETS[step.startsWith('a-') ? 0 : 1]);
    }

    // the timeline says which step each event is, planned vs actual
    const applied = run.events.filter((e) => e.type === 'fault.applied');
    expect(applied.map((e) => (e.data as { step: string }).step).sort()).toEqual(Object.keys(planned).sort());
    for (const e of applied)
      expect(e.plannedAt!.getTime()).toBe(injectAt + planned[(e.data as { step: string }).step][0]);
    const reverted = run.events.filter((e) => e.type === 'fault.reverted');
    expect(reverted.map((e) => e.message).join('\n')).toMatch(/step "b-paused": reverted on/);

    // the report's JSON lists each step with its planned and actual instants
    const steps = readRunResult(run.result).experiments[0].steps!;
    expect(
      steps.map((s: StepResult) => [s.name, s.outcome, s.plannedStart - injectAt, s.plannedEnd - injectAt]),
    ).toEqual([
      ['a-paused', 'completed', 0, 3_000],
      ['b-blocked', 'completed', 0, 2_000],
      ['b-paused', 'completed', 3_000, 5_000],
      ['a-blocked', 'completed', 5_500, 7_000],
    ]);
    for (const s of steps) expect(s.appliedAt! - s.plannedStart).toBeLessThan(APPLY_SKEW_MS);

    // nothing left: no open lease, no paused target, no blackhole, no helper
    expect(await stack.prisma.activeFault.count({ where: { runId, revertedAt: null } })).toBe(0);
    expect([await paused(0), await paused(1)]).toEqual([false, false]);
    expect([await answers(0), await answers(1)]).toEqual(['ok', 'ok']);
    await waitFor('helpers removed', async () => (await helpersLeft()).length === 0 || null, 10_000, 200);
  });

  it('one abort removes every active step on every target; a step not begun never begins', async () => {
    const runId = await runNow(
      spec(
        [
          { name: 'a-paused', fault: pause(TARGETS[0]) },
          { name: 'b-blocked', fault: reject80(TARGETS[1]), duration: '10s' },
          // not begun when the abort comes: one on the helper's clock, one on the worker's
          { name: 'a-blocked-later', fault: reject80(TARGETS[0]), at: '6s', duration: '3s' },
          { name: 'b-paused-later', fault: pause(TARGETS[1]), after: 'b-blocked', duration: '4s' },
        ],
        '15s',
      ),
    );
    await waitFor(
      'both first steps',
      () => whileRunning(runId, async () => (await paused(0)) && (await answers(1)) === 'refused'),
      20_000,
      50,
    );
    const requested = Date.now();
    const res = await stack.http.post(`/api/v1/runs/${runId}/abort`).set(stack.admin).send({ reason: 'pager' });
    expect(res.status).toBe(202);
    await waitFor(
      'every active step removed',
      async () => (!(await paused(0)) && (await answers(1)) === 'ok') || null,
      3_000,
      10,
    );
    console.log(`abort: every active step removed ${Date.now() - requested} ms after the request`);

    const run = await runEnded(stack.prisma, runId);
    // a run that failed instead says why
    expect({ status: run.status, error: run.status === 'aborted' ? null : run.error }).toEqual({
      status: 'aborted',
      error: null,
    });
    const injectAt = readRunResult(run.result).experiments[0].plan.injectAt;
    const steps = readRunResult(run.result).experiments[0].steps!;
    expect(steps.map((s: StepResult) => [s.name, s.outcome])).toEqual([
      ['a-paused', 'aborted'],
      ['b-blocked', 'aborted'],
      ['a-blocked-later', 'not_begun'],
      ['b-paused-later', 'not_begun'],
    ]);

    // past the later steps' planned starts: neither began (A answers, B is not paused)
    const lastStart = injectAt + 10_000 + 500;
    while (Date.now() < lastStart) {
      expect(await paused(1)).toBe(false);
      expect(await answers(0)).toBe('ok');
      await new Promise((r) => setTimeout(r, 250));
    }
    const leases = await stack.prisma.activeFault.findMany({ where: { runId } });
    // the armed helper of the step on the helper's clock: its lease closed, never applied
    const later = leases.find((l) => (l.details as { step?: string }).step === 'a-blocked-later')!;
    expect(later.injectedAt).toBeNull();
    expect(later.revertedAt).not.toBeNull();
    // the worker's step never got as far as a lease
    expect(leases.some((l) => (l.details as { step?: string }).step === 'b-paused-later')).toBe(false);
    expect(await stack.prisma.activeFault.count({ where: { runId, revertedAt: null } })).toBe(0);
    await waitFor('helpers removed', async () => (await helpersLeft()).length === 0 || null, 10_000, 200);
  });

  // the probe asks A: errors while A is paused, answers once it is back
  const aAnswers = { metric: 'errorRate', atMost: 0, window: '1s', minSamples: 2 };

  it('a gate met in time passes, says when, and the steps after it begin', async () => {
    const runId = await runNow(
      spec(
        [
          { name: 'a-paused', fault: pause(TARGETS[0]), duration: '3s' },
          // room for a busy host: A's unpause and two clean samples within the gate's 6 s
          { name: 'a-back', gate: aAnswers, after: 'a-paused', duration: '7s' },
          { name: 'b-blocked', fault: reject80(TARGETS[1]), after: 'a-back', duration: '1s' },
        ],
        '12s',
      ),
    );
    const run = await runEnded(stack.prisma, runId);
    const result = readRunResult(run.result).experiments[0];
    expect({ status: run.status, error: run.error, aborted: result.aborted?.reason ?? null }).toEqual({
      status: 'completed',
      error: null,
      aborted: null,
    });
    const gate = result.gates![0];
    console.log(`gate a-back: ${gate.outcome}, met ${gate.passedAt! - gate.plannedStart} ms after it opened`);
    expect(gate).toMatchObject({
      name: 'a-back',
      outcome: 'passed',
      actual: 0,
      plannedStart: result.plan.injectAt + 3_000,
    });
    // met once A answered again, before the decision a second ahead of the gate's end
    expect(gate.passedAt! - gate.plannedStart).toBeLessThan(6_000);
    expect(run.events.find((e) => e.type === 'gate.passed')?.message).toMatch(
      /^gate "a-back" passed \d+ ms after it opened: errorRate at most 0 over 1s/,
    );
    expect(result.steps!.map((s: StepResult) => [s.name, s.outcome])).toEqual([
      ['a-paused', 'completed'],
      ['b-blocked', 'completed'],
    ]);
  });

  it('a gate not met in time aborts the experiment: every fault comes out and the steps after it never begin', async () => {
    const runId = await runNow(
      spec(
        [
          { name: 'a-paused', fault: pause(TARGETS[0]) },
          { name: 'a-back', gate: aAnswers, at: '1s', duration: '3s' },
          { name: 'b-blocked', fault: reject80(TARGETS[1]), after: 'a-back', duration: '2s' },
        ],
        '9s',
      ),
    );
    const run = await runEnded(stack.prisma, runId);
    expect(run.status).toBe('aborted');
    const result = readRunResult(run.result).experiments[0];
    const injectAt = result.plan.injectAt;
    expect(result.aborted).toMatchObject({ trigger: 'gate' });
    expect(result.aborted!.reason).toMatch(/^gate "a-back": errorRate at most 0 over 1s not met by \+2s \(last 1\)/);
    expect(result.gates!.map((g: GateResult) => [g.name, g.outcome, g.passedAt])).toEqual([['a-back', 'failed', null]]);
    // decided a second before the gate's end (+4 s), so B's step at +4 s was stood down in time
    const abort = run.events.find((e) => e.type === 'run.abort')!;
    console.log(
      `gate abort decided ${result.aborted!.at - injectAt} ms into the window: ${abort.message} (written at +${abort.at.getTime() - injectAt} ms)`,
    );
    expect(result.aborted!.at - injectAt).toBeGreaterThanOrEqual(3_000);
    expect(result.aborted!.at - injectAt).toBeLessThan(3_500);
    expect(result.steps!.map((s: StepResult) => [s.name, s.outcome])).toEqual([
      ['a-paused', 'aborted'],
      ['b-blocked', 'not_begun'],
    ]);
    expect(await paused(0)).toBe(false);
    while (Date.now() < injectAt + 6_500) {
      expect(await answers(1)).toBe('ok');
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(await stack.prisma.activeFault.count({ where: { runId, revertedAt: null } })).toBe(0);
    await waitFor('helpers removed', async () => (await helpersLeft()).length === 0 || null, 10_000, 200);
  });
});
