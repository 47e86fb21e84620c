import { parseKillRecord, parseKillSummary, verifyProcessKill, type KillSummary } from './process-kill.record';

const summary = (over: Partial<KillSummary> = {}): KillSummary => ({
  ticks: 1,
  kills: 2,
  firstTickAt: 1_000,
  firstTickMatched: 2,
  firstTickSignalled: 2,
  lastTickAt: 1_000,
  lastTickSignalled: 2,
  pid1Matched: false,
  ...over,
});

describe("the process-kill helper's record", () => {
  it('reads the summary from the status lines, and none before gameday-kill wrote one', () => {
    expect(
      parseKillSummary({
        state: 'applied',
        kill_ticks: '3',
        kill_kills: '4',
        kill_first_tick_at: '1700000000005',
        kill_first_tick_matched: '2',
        kill_first_tick_signalled: '2',
        kill_last_tick_at: '1700000002004',
        kill_last_tick_signalled: '1',
        kill_pid1_matched: '1',
        kill_ended_at: '0',
        kill_end_reason: '',
      }),
    ).toEqual({
      ticks: 3,
      kills: 4,
      firstTickAt: 1700000000005,
      firstTickMatched: 2,
      firstTickSignalled: 2,
      lastTickAt: 1700000002004,
      lastTickSignalled: 1,
      pid1Matched: true,
      endedAt: undefined,
      endReason: undefined,
    });
    expect(parseKillSummary({ state: 'armed' })).toBeUndefined();
  });

  it('reads the kill lines, rounds and end; skips what it does not know', () => {
    const text = [
      'kill 1700000000004 17 KILL ok sleep',
      'kill 1700000000004 18 KILL ESRCH sleep',
      'tick 1700000000003 1700000000005 2 1 0',
      'garbage',
      'end 1700000003000 window_end',
      '',
    ].join('\n');
    expect(parseKillRecord(text)).toEqual([
      { type: 'kill', at: 1700000000004, pid: 17, signal: 'KILL', result: 'ok', comm: 'sleep' },
      { type: 'kill', at: 1700000000004, pid: 18, signal: 'KILL', result: 'ESRCH', comm: 'sleep' },
      { type: 'tick', startedAt: 1700000000003, at: 1700000000005, matched: 2, signalled: 1, pid1: false },
      { type: 'end', at: 1700000003000, reason: 'window_end' },
    ]);
  });
});

describe('verifyProcessKill', () => {
  const plan = { process: 'worker', everyMs: 0 };

  it('holds when the first round signalled', () => {
    expect(verifyProcessKill({ state: 'applied', summary: summary() }, plan, 5_000)).toEqual({ ok: true });
  });

  it('"no process matched" is named, with PID 1 when it has the name', () => {
    expect(verifyProcessKill({ state: 'applied', summary: summary({ firstTickSignalled: 0 }) }, plan, 1_100)).toEqual({
      ok: false,
      reasons: ['no process named "worker" in the target at T0: nothing was signalled'],
    });
    expect(
      verifyProcessKill(
        { state: 'applied', summary: summary({ firstTickSignalled: 0, pid1Matched: true }) },
        plan,
        1_100,
      ),
    ).toMatchObject({ ok: false, reasons: [expect.stringContaining('PID 1 is never signalled')] });
  });

  it('a helper out of its window, or before its first round, is not signalling', () => {
    expect(verifyProcessKill({ state: 'reverted', summary: summary() }, plan, 1_100)).toMatchObject({
      ok: false,
      reasons: ['the helper is reverted, not in its window: nothing is signalled any more'],
    });
    expect(verifyProcessKill({ state: 'applied' }, plan, 1_100)).toMatchObject({ ok: false });
  });

  it('a repetition whose last round is overdue is off its plan; on time it holds', () => {
    const every = { process: 'worker', everyMs: 1_000 };
    expect(verifyProcessKill({ state: 'applied', summary: summary({ lastTickAt: 10_000 }) }, every, 12_900)).toEqual({
      ok: true,
    });
    expect(verifyProcessKill({ state: 'applied', summary: summary({ lastTickAt: 10_000 }) }, every, 13_500)).toEqual({
      ok: false,
      reasons: ["the helper's last round was 3500 ms ago, every 1000 ms was planned: it is off its plan"],
    });
  });
});
