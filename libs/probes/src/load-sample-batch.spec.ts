import type { Sample } from '@gameday/core';
import { LoadSampleBatch, unpackLoadSamples } from './load-sample-batch';

const unpack = (packed: Float64Array) => {
  const out: Sample[] = [];
  unpackLoadSamples(packed, (s) => out.push(s));
  return out;
};

describe('LoadSampleBatch', () => {
  it('carries every kind of answer across as the sample the executor expects', () => {
    const batch = new LoadSampleBatch();
    batch.push(1_000.5, 12.25, 200);
    batch.push(1_001, 3, 503, 'status_mismatch');
    batch.push(1_002, 2_000, undefined, 'timeout');
    batch.push(1_003, 0, undefined, 'network');
    expect(unpack(batch.take())).toEqual([
      { at: 1_000.5, durationMs: 12.25, ok: true, status: 200 },
      { at: 1_001, durationMs: 3, ok: false, status: 503, errorKind: 'status_mismatch' },
      { at: 1_002, durationMs: 2_000, ok: false, errorKind: 'timeout' },
      { at: 1_003, durationMs: 0, ok: false, errorKind: 'network' },
    ]);
  });

  it('grows past its first capacity, keeps the order, and starts empty after take', () => {
    const batch = new LoadSampleBatch();
    for (let i = 0; i < 5_000; i++) batch.push(i, i / 2, 200);
    expect(batch.length).toBe(5_000);
    const samples = unpack(batch.take());
    expect(samples).toHaveLength(5_000);
    expect(samples[4_999]).toEqual({ at: 4_999, durationMs: 2_499.5, ok: true, status: 200 });
    expect(samples.every((s, i) => s.at === i)).toBe(true);
    expect(batch.length).toBe(0);
    expect(batch.take()).toHaveLength(0);
    batch.push(7, 1, 204);
    expect(unpack(batch.take())).toEqual([{ at: 7, durationMs: 1, ok: true, status: 204 }]);
  });
});
