import { armingReserveS, pacedMs, QUICK_PACE, reaperDeadlineMs, scheduleLeadMs } from './lab-pace';

describe('lab pace budgets', () => {
  const saved = process.env.GAMEDAY_LAB_ARMING_S;
  afterEach(() => {
    if (saved === undefined) delete process.env.GAMEDAY_LAB_ARMING_S;
    else process.env.GAMEDAY_LAB_ARMING_S = saved;
  });
  beforeEach(() => delete process.env.GAMEDAY_LAB_ARMING_S);

  it('keeps the quick host’s 15 s of arming and 8 s of schedule lead there', () => {
    expect(armingReserveS(QUICK_PACE)).toBe(15);
    expect(scheduleLeadMs(QUICK_PACE)).toBe(8_000);
    expect(pacedMs(QUICK_PACE, 6_000)).toBe(6_000);
    expect(reaperDeadlineMs(QUICK_PACE)).toBe(15_000);
  });

  it('grows with a slow guest: a 10 s container start and 1.9 s execs reserve 32 s', () => {
    const slow = { startMs: 10_000, execMs: 1_900 };
    expect(armingReserveS(slow)).toBe(32);
    expect(scheduleLeadMs({ startMs: 10_000, execMs: 2_500 })).toBe(10_000);
    expect(pacedMs(slow, 6_000)).toBe(38_000);
    // a rehearsal's reaper reverted at T1+17.2 s with the guest at 10.7 s / 2.2 s
    expect(reaperDeadlineMs({ startMs: 10_750, execMs: 2_238 })).toBe(27_196);
  });

  it('learns from armings seen (1.5× the slowest) and is capped at 2 minutes', () => {
    expect(armingReserveS(QUICK_PACE, [9_000, 20_000])).toBe(30);
    expect(armingReserveS(QUICK_PACE, [200_000])).toBe(120);
  });

  it('takes GAMEDAY_LAB_ARMING_S as it is', () => {
    process.env.GAMEDAY_LAB_ARMING_S = '40';
    expect(armingReserveS({ startMs: 30_000, execMs: 5_000 }, [90_000])).toBe(40);
  });
});
