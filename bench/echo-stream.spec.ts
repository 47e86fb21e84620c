import { faultSeenAt, type Echo } from './echo-stream';

/** one message a millisecond from `from`; those sent at or after `faultAt` come back `delay` later */
function stream(from: number, count: number, rtt: number, faultAt: number, delay: number): Echo[] {
  return Array.from({ length: count }, (_, i) => {
    const sentAt = from + i;
    return { sentAt, rttMs: sentAt + rtt / 2 >= faultAt ? rtt + delay : rtt };
  });
}

describe('faultSeenAt', () => {
  it('places the fault at the first late message plus its way to the target', () => {
    // baseline round trip 4 ms: a message sent at 1018 reaches the target at 1020
    const echoes = stream(1_000, 100, 4, 1_020, 200);
    expect(faultSeenAt(echoes, 1_010, 100)).toBe(1_020);
  });

  it('ignores stray slow echoes below the threshold and lost ones', () => {
    const echoes = stream(1_000, 100, 4, 1_050, 200);
    echoes[30] = { ...echoes[30], rttMs: 60 };
    echoes[40] = { ...echoes[40], rttMs: null };
    expect(faultSeenAt(echoes, 1_010, 100)).toBe(1_050);
  });

  it('says nothing without a baseline or without a late echo', () => {
    expect(faultSeenAt(stream(1_000, 50, 4, 2_000, 200), 1_010, 100)).toBeNull();
    expect(faultSeenAt(stream(1_000, 50, 4, 1_020, 200), 1_000, 100)).toBeNull();
  });

  it('counts a lost echo from `before` on as held when the fault drops (a blackhole), not before it', () => {
    const echoes = stream(1_000, 100, 4, 1_030, 0).map((e) => (e.sentAt + 2 >= 1_030 ? { ...e, rttMs: null } : e));
    echoes[5] = { ...echoes[5], rttMs: null }; // lost before `before`: no sign of the fault
    expect(faultSeenAt(echoes, 1_010, 100)).toBeNull();
    expect(faultSeenAt(echoes, 1_010, 100, 'held')).toBe(1_030);
  });
});
