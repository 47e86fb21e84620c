import { clockOffset, ClockOffsetError, clockOffsetTooLarge } from './clock-offset';

describe('clockOffset', () => {
  it('is the helper clock minus the midpoint of our two reads, from the shortest round trip', () => {
    const o = clockOffset([
      { sentAt: 1_000, remoteAt: 1_900, receivedAt: 1_400 }, // 400 ms round trip
      { sentAt: 2_000, remoteAt: 2_560, receivedAt: 2_020 }, // 20 ms round trip: decides
    ]);
    expect(o).toEqual({ offsetMs: 550, uncertaintyMs: 10, correctionMs: 550 });
  });

  it('corrects nothing when the clocks agree within the measurement', () => {
    const o = clockOffset([{ sentAt: 1_000, remoteAt: 1_130, receivedAt: 1_300 }]);
    expect(o).toEqual({ offsetMs: -20, uncertaintyMs: 150, correctionMs: 0 });
  });

  it('sees an engine behind the worker as a negative offset', () => {
    expect(clockOffset([{ sentAt: 10_000, remoteAt: 7_005, receivedAt: 10_010 }]).correctionMs).toBe(-3_000);
  });

  it('refuses only an offset certainly above the bound (a slow reading is no evidence)', () => {
    // a busy engine: 1.8 s round trip, the helper's clock read near its end
    const slow = clockOffset([{ sentAt: 0, remoteAt: 1_770, receivedAt: 1_800 }]);
    expect(slow.offsetMs).toBe(870);
    expect(clockOffsetTooLarge(slow, 500)).toBe(false);
    const fast = clockOffset([{ sentAt: 0, remoteAt: 2_005, receivedAt: 10 }]);
    expect(clockOffsetTooLarge(fast, 500)).toBe(true);
  });

  it('names the engine, the offset and the bound when it refuses', () => {
    const e = new ClockOffsetError('engine-1', { offsetMs: 2_000, uncertaintyMs: 5, correctionMs: 2_000 }, 500);
    expect(e.message).toMatch(
      /engine engine-1 is 2000 ms ahead of the worker's .* more than the 500 ms allowed: nothing was armed/,
    );
  });
});
