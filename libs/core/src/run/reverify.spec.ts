import { mayReverify, nextReverifyAt, REVERIFY_EVERY_MS } from './reverify';

describe('re-verification during the fault window', () => {
  it('checks every 5 s when checks are cheap (a host)', () => {
    expect(nextReverifyAt(10_000, 40)).toBe(10_000 + REVERIFY_EVERY_MS);
  });

  it('spaces costly checks so they take at most a fifth of the engine (the lab: 6 s a check)', () => {
    expect(nextReverifyAt(10_000, 6_000)).toBe(10_000 + 24_000);
  });

  it('begins no check that would still run at the planned revert', () => {
    // the lab's case: 2.1 s before T1, a check that took 6 s would end 3.9 s after it
    expect(mayReverify(100_000 - 2_100, 100_000, 6_000)).toBe(false);
    expect(mayReverify(100_000 - 8_100, 100_000, 6_000)).toBe(true);
    // before any check has been timed: the 2 s margin alone
    expect(mayReverify(100_000 - 2_100, 100_000, 0)).toBe(true);
    expect(mayReverify(100_000 - 1_900, 100_000, 0)).toBe(false);
  });
});
