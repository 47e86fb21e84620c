import { GateMonitor, type Gate } from './gate';

const ok = (at: number, ms = 20) => ({ at, durationMs: ms, ok: true, status: 200 });
const err = (at: number) => ({ at, durationMs: 300, ok: false, errorKind: 'timeout' });

const gate = (over: Partial<Gate> = {}): Gate => ({
  name: 'back',
  metric: 'errorRate',
  comparator: 'atMost',
  bound: 0,
  windowMs: 1_000,
  forMs: 0,
  minSamples: 2,
  opensAt: 10_000,
  ...over,
});

describe('GateMonitor', () => {
  it('passes once the window holds only samples that meet the bound', () => {
    const m = new GateMonitor(gate());
    expect(m.push(err(10_000))).toBeNull();
    expect(m.push(ok(10_400))).toBeNull(); // 1 error in 2
    expect(m.last).toBe(0.5);
    // the error has left the 1 s window by the time this one completes
    expect(m.push(ok(11_400))).toEqual({ gate: 'back', actual: 0, at: 11_420 });
    expect(m.passed).not.toBeNull();
  });

  it('never judges samples begun before the gate opened', () => {
    const m = new GateMonitor(gate());
    expect(m.push(ok(9_000))).toBeNull();
    expect(m.push(ok(9_990))).toBeNull();
    expect(m.push(ok(10_100))).toBeNull(); // one sample since it opened: fewer than minSamples
    expect(m.push(ok(10_200))).not.toBeNull();
  });

  it('waits for the condition to hold `for` its time, and starts over when it breaks', () => {
    const m = new GateMonitor(gate({ forMs: 500, minSamples: 1 }));
    expect(m.push(ok(10_000))).toBeNull();
    expect(m.push(ok(10_300))).toBeNull();
    expect(m.push(err(10_400))).toBeNull(); // broken: held since 10 020 no more
    expect(m.push(ok(11_800))).toBeNull(); // the error out of the window: met again from 11 820
    expect(m.push(ok(12_100))).toBeNull(); // 300 ms of 500
    expect(m.push(ok(12_400))).toEqual({ gate: 'back', actual: 0, at: 12_420 });
  });

  it('judges `atLeast` the other way round, and only its own probe', () => {
    const m = new GateMonitor(gate({ metric: 'p50Ms', comparator: 'atLeast', bound: 100, probe: 'db', minSamples: 1 }));
    expect(m.push(ok(10_000, 150), undefined, 'front')).toBeNull();
    expect(m.push(ok(10_100, 50), undefined, 'db')).toBeNull();
    expect(m.last).toBe(50);
    expect(m.push(ok(11_200, 150), undefined, 'db')).toMatchObject({ actual: 150 });
  });
});
