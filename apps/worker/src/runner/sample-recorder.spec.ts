import { LOAD_SERIES, observedWindows, planRun, type LoadAggregate } from '@gameday/core';
import { SampleRecorder, type RecordedSample } from './sample-recorder';

// A sink that keeps what the recorder would store (the recorder is pure logic over its sink).
function sink() {
  const rows: RecordedSample[] = [];
  const load: LoadAggregate[] = [];
  return {
    rows,
    load,
    write: async (_i: number, batch: RecordedSample[]) => void rows.push(...batch),
    writeLoad: async (_i: number, batch: LoadAggregate[]) => void load.push(...structuredClone(batch)),
    observe: () => undefined,
  };
}

describe('SampleRecorder', () => {
  const start = 1_700_000_000_000;
  const plan = planRun(start, [{ durations: { baseline: '10s', fault: '10s', recovery: '10s' } }]);
  const windows = observedWindows(plan.experiments[0], {});

  it('keeps and stores the load as per-second aggregates, probe answers as rows', async () => {
    const stored = sink();
    const recorder = new SampleRecorder(plan, 0, stored);
    // 1 000 requests/s of load for the 30 s of the experiment, one probe request per second
    for (let t = 0; t < 30_000; t++) {
      const inFault = t >= 10_000 && t < 20_000;
      recorder.add(LOAD_SERIES, {
        at: start + t,
        durationMs: inFault ? 600 : 20,
        ok: !inFault,
        status: inFault ? 500 : 200,
        ...(inFault ? { errorKind: 'status_mismatch' } : {}),
      });
      if (t % 1000 === 0) recorder.add('p', { at: start + t, durationMs: 10, ok: true, status: 200 });
      if (t % 7_000 === 0) await recorder.flush();
    }
    await recorder.flush();

    expect(stored.rows).toHaveLength(30);
    expect(stored.rows.every((r) => r.probe === 'p')).toBe(true);
    // one aggregate per second (plus the partial ones a flush in mid-second makes)
    expect(stored.load.length).toBeGreaterThanOrEqual(30);
    expect(stored.load.length).toBeLessThanOrEqual(35);
    expect(stored.load.reduce((n, a) => n + a.count, 0)).toBe(30_000);

    const load = recorder.loadSummaries(windows);
    expect(load.baseline).toMatchObject({ count: 10_000, errors: 0, statusCounts: { '200': 10_000 } });
    expect(load.fault).toMatchObject({ count: 10_000, errors: 10_000, errorsByKind: { status_mismatch: 10_000 } });
    expect(load.fault.p95Ms).toBe(600);
    expect(load.recovery.count).toBe(10_000);
    // the hypothesis samples are untouched by the load
    expect(recorder.summaries(windows).fault).toMatchObject({ count: 10, errors: 0 });
  });

  it('a resumed run judges the stored load with the new, and writes only the new', async () => {
    const first = sink();
    const before = new SampleRecorder(plan, 0, first);
    for (let t = 0; t < 5_000; t += 10)
      before.add(LOAD_SERIES, { at: start + t, durationMs: 20, ok: true, status: 200 });
    await before.flush();

    const second = sink();
    const after = new SampleRecorder(plan, 0, second);
    after.restoreLoad(first.load);
    for (let t = 5_000; t < 10_000; t += 10)
      after.add(LOAD_SERIES, { at: start + t, durationMs: 20, ok: true, status: 200 });
    await after.flush();
    expect(second.load.reduce((n, a) => n + a.count, 0)).toBe(500);
    expect(after.loadSummaries(windows).baseline.count).toBe(1_000);
  });
});
