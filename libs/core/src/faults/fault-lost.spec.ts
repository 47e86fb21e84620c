import { faultLost } from './fault-lost';

describe('faultLost', () => {
  const end = Date.parse('2026-12-02T07:00:14.000Z');

  it('a missing fault seen before the planned end was lost', () => {
    expect(faultLost(false, end - 1, end)).toBe(true);
  });

  it('an answer at or after the planned end may have seen the planned revert: not lost', () => {
    expect(faultLost(false, end, end)).toBe(false);
    expect(faultLost(false, end + 1_157, end)).toBe(false);
  });

  it('a fault in place is never lost', () => {
    expect(faultLost(true, end - 60_000, end)).toBe(false);
  });
});
