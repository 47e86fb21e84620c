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
