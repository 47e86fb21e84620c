import { ManualClock, systemClock } from './clock';

describe('ManualClock', () => {
  it('moves only when told to', () => {
    const clock = new ManualClock(new Date('2030-01-01T00:00:00Z'));
    clock.advance(1500);
    expect(clock.now().toISOString()).toBe('2030-01-01T00:00:01.500Z');
    expect(clock.monotonicMs()).toBe(1500);
  });

  it('measures durations across a step of the wall clock', () => {
    const clock = new ManualClock(new Date('2030-01-01T00:00:00Z'));
    const began = clock.monotonicMs();
    clock.advance(200);
    clock.set(new Date('2029-12-31T23:00:00Z'));
    clock.advance(300);
    expect(clock.now().toISOString()).toBe('2029-12-31T23:00:00.300Z');
    expect(clock.monotonicMs() - began).toBe(500);
  });
});

describe('systemClock', () => {
  it('measures durations that never go back', async () => {
    const began = systemClock.monotonicMs();
    await new Promise((r) => setTimeout(r, 20));
    const took = systemClock.monotonicMs() - began;
    expect(took).toBeGreaterThanOrEqual(15);
    expect(systemClock.monotonicMs()).toBeGreaterThanOrEqual(began + took);
  });
});
