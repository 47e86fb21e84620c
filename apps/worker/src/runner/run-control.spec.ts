import { RunControl } from './run-control';

describe('RunControl.sleepUntil', () => {
  it('resolves only once the clock reads the instant, even when its timer fires earlier', async () => {
    // a wall clock running at half the timers' pace: each timer fires when the clock has gone
    // only half the way (a timer firing 1 ms before Date.now() reaches the instant, magnified)
    const start = Date.now();
    const clock = { now: () => new Date(start + (Date.now() - start) / 2) };
    const control = new RunControl(async () => null, clock);
    const at = clock.now().getTime() + 40;
    await control.sleepUntil(at);
    expect(clock.now().getTime()).toBeGreaterThanOrEqual(at);
    control.stop();
  });

  it('rejects at once when the run is aborted while it sleeps', async () => {
    const clock = { now: () => new Date() };
    const control = new RunControl(async () => null, clock);
    const sleeping = control.sleepUntil(Date.now() + 60_000);
    control.abort({ trigger: 'operator', reason: 'stop', at: Date.now() });
    await expect(sleeping).rejects.toThrow();
    control.stop();
  });
});

describe('RunControl.recheck', () => {
  const clock = { now: () => new Date() };
  const abortAt = new Date();

  it("finds an operator's abort recorded since the last poll, at once", async () => {
    const control = new RunControl(async () => ({ abort: { at: abortAt, reason: 'pager' }, executorEpoch: 1 }), clock);
    control.hold('run-1', 1);
    expect(await control.recheck()).toEqual({ trigger: 'operator', reason: 'pager', at: abortAt.getTime() });
    expect(control.signal.aborted).toBe(true);
  });

  it('gives up quietly on a Postgres that does not answer, or fails', async () => {
    const hung = new RunControl(() => new Promise(() => undefined), clock);
    const began = Date.now();
    expect(await hung.recheck(50)).toBeUndefined();
    expect(Date.now() - began).toBeLessThan(1_000);
    const failing = new RunControl(() => Promise.reject(new Error("Can't reach database server")), clock);
    expect(await failing.recheck()).toBeUndefined();
  });

  it('a newer executor is a fence, not an abort', async () => {
    const control = new RunControl(async () => ({ abort: null, executorEpoch: 2 }), clock);
    control.hold('run-1', 1);
    expect(await control.recheck()).toBeUndefined();
    expect(control.lost).toBeDefined();
  });
});
