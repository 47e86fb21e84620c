import { ManualClock } from './clock';

describe('ManualClock', () => {
  it('moves only when told to', () => {
    const clock = new ManualClock(new Date('2030-01-01T00:00:00Z'));
    clock.advance(1500);
    expect(clock.now().toISOString()).toBe('2030-01-01T00:00:01.500Z');
  });
});
