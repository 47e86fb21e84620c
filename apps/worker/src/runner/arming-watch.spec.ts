import { ManualClock, type ExperimentPlan } from '@gameday/core';
import { ArmingWatch } from './arming-watch';

type Appended = { type: string; message: string; plannedAt?: Date | null; data?: Record<string, unknown> };

describe('ArmingWatch', () => {
  // 20 s reserved for arming, then a 20 s baseline
  const ep: ExperimentPlan = {
    index: 0,
    armAt: 0,
    arming: 'lead',
    baselineAt: 20_000,
    injectAt: 40_000,
    revertAt: 100_000,
    endAt: 130_000,
  };
  let now = 0;
  let events: Appended[];
  const watch = (at = 0) => {
    now = at;
    return new ArmingWatch(
      {
        runs: {
          appendEvent: async (_id, e) => {
            events.push(e as Appended);
            return e as never;
          },
        },
        // the wall clock and the monotonic one move together here
        clock: { now: () => new Date(now), monotonicMs: () => now },
        engine: 'engine-1',
      },
      'run-1',
      ep,
    );
  };

  beforeEach(() => {
    events = [];
    jest.useFakeTimers();
  });
  afterEach(() => jest.useRealTimers());

  it('records an arming inside its reserve, and nothing else', async () => {
    const w = watch();
    w.start();
    now = 3_200;
    await w.done(now);
    jest.advanceTimersByTime(30_000);
    expect(events).toEqual([
      expect.objectContaining({
        type: 'arming.done',
        message: 'armed in 3.2 s (20 s reserved)',
        data: expect.objectContaining({ engine: 'engine-1', armingMs: 3_200, baselineLostMs: 0 }),
      }),
    ]);
  });

  it('says so the moment the baseline should start with arming still going, then what it cost', async () => {
    const w = watch();
    w.start();
    now = 20_000;
    jest.advanceTimersByTime(20_000);
    expect(events).toEqual([
      expect.objectContaining({
        type: 'arming.overran',
        plannedAt: new Date(20_000),
        message:
          "arming is still going at the baseline's planned start (20 s were reserved for it): every second it takes now comes off the 20 s baseline",
      }),
    ]);
    now = 36_000;
    await w.done(now);
    expect(events[1]).toMatchObject({
      type: 'arming.done',
      message:
        'arming took 16 s of the 20 s baseline: it took 36 s, 20 s were reserved; the judged baseline starts now',
      data: { armingMs: 36_000, baselineLostMs: 16_000, baselineMs: 20_000, reservedMs: 20_000 },
    });
  });

  it('does not blame the engine for a run that started late', async () => {
    const w = watch(21_500);
    w.start();
    expect(events[0].message).toMatch(
      /^arming begins after the baseline's planned start \(the run started 21\.5 s late;/,
    );
    now = 22_000;
    await w.done(now);
    expect(events[1].message).toBe(
      'arming took 2 s of the 20 s baseline: it began 21.5 s after its planned start and took 0.5 s, 20 s were reserved; the judged baseline starts now',
    );
  });

  it('keeps a slow failed arming (it teaches the lead) but not a quick one', async () => {
    const quick = watch();
    quick.start();
    now = 1_000;
    await quick.done(now, 'no target');
    expect(events).toEqual([]);
    const slow = watch();
    slow.start();
    now = 39_800;
    jest.advanceTimersByTime(39_800);
    await slow.done(now, 'arming finished 300 ms after its deadline');
    expect(events.map((e) => e.type)).toEqual(['arming.overran', 'arming.done']);
    expect(events[1].data).toMatchObject({ armingMs: 39_800, failed: true });
  });
  it('times arming by the monotonic clock when the wall clock is stepped meanwhile', async () => {
    const clock = new ManualClock(new Date(0));
    const runs = { appendEvent: async (_id: string, e: unknown) => (events.push(e as Appended), e as never) };
    const w = new ArmingWatch({ runs, clock, engine: 'engine-1' }, 'run-1', ep);
    w.start();
    clock.advance(1_000);
    clock.set(new Date(-3_600_000)); // NTP steps the wall clock back an hour
    clock.advance(2_000);
    await w.done(clock.now().getTime());
    expect(events).toEqual([
      expect.objectContaining({ type: 'arming.done', data: expect.objectContaining({ armingMs: 3_000 }) }),
    ]);
  });
});
