import { analyseWindow } from './fault-window';
import { containerPause, netemDelay, processKill, type LatencySample } from './trial-faults';

/** One sample every 250 ms from `from`, as the trials' watcher sends them. */
function samples(from: number, kinds: string, as: Record<string, Omit<LatencySample, 'startedAt'>>): LatencySample[] {
  return [...kinds].map((k, i) => ({ startedAt: from + i * 250, ...as[k] }));
}

describe('analyseWindow', () => {
  it('ends a netem fault at the first clean request: one in the middle splits it, the longest run is the fault', () => {
    const s = samples(0, '..SSSS.SSSSSS...', { '.': { ms: 5 }, S: { ms: 420 } });
    const seen = analyseWindow(s, netemDelay(200));
    expect(seen.firstSlowAt).toBe(7 * 250);
    expect(seen.goneAt).toBe(13 * 250);
    expect(seen.slowAgain).toBe(0);
  });

  it('keeps a process kill one fault across the answers between its rounds, gone once the gap has passed', () => {
    const fault = processKill(2);
    const as = { '.': { ms: 5 }, R: { ms: 1, error: 'connect ECONNREFUSED 10.199.0.2:8080' } };
    // refused 1 s, answered 1 s, three rounds, then answered for good
    const kinds = '..RRRR....RRRR....RRRR' + '.'.repeat(12);
    const seen = analyseWindow(samples(0, kinds, as), fault);
    expect(seen.firstSlowAt).toBe(2 * 250);
    expect(seen.goneAt).toBe(22 * 250);
    expect(seen.errors).toBe(0);
    // the samples do not reach past the gap yet: a further round could still come
    expect(analyseWindow(samples(0, kinds.slice(0, 26), as), fault).goneAt).toBeUndefined();
    // a kill loop left going after its end is the same fault, not gone
    const leftGoing = '..RRRR....RRRR....RRRR....RRRR....RRRR....';
    expect(analyseWindow(samples(0, leftGoing, as), fault).goneAt).toBeUndefined();
  });

  it('takes a pause as gone when a request is answered, not when it was sent', () => {
    const as = { '.': { ms: 8 }, T: { ms: 3_000, error: 'timeout' }, L: { ms: 400 } };
    const seen = analyseWindow(samples(0, '..TTTTTTL....', as), containerPause());
    expect(seen.firstSlowAt).toBe(2 * 250);
    // sent at 2000 ms, answered after the unpause at 2400 ms
    expect(seen.goneAt).toBe(8 * 250 + 400);
  });
});
