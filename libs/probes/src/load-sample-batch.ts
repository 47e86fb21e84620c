import type { Sample } from '@gameday/core';

/**
 * The load thread's answers cross to the executor as numbers in one transferred buffer, four per
 * answer: at 60 000+ answers a second, a cloned object per answer cost the load about a quarter
 * of autocannon's rate on two CPUs (bench:throughput), since both threads share them with the
 * target.
 */
const FIELDS = 4;
/** index 0: a good answer; the rest are the error kinds the thread can report */
const KINDS = [undefined, 'status_mismatch', 'timeout', 'network'] as const;
export type LoadErrorKind = Exclude<(typeof KINDS)[number], undefined>;

export class LoadSampleBatch {
  private data = new Float64Array(FIELDS * 1024);
  private count = 0;

  get length(): number {
    return this.count;
  }

  /** `status` undefined: no answer (a timeout or a network error) */
  push(at: number, durationMs: number, status: number | undefined, errorKind?: LoadErrorKind): void {
    if ((this.count + 1) * FIELDS > this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    const i = this.count * FIELDS;
    this.data[i] = at;
    this.data[i + 1] = durationMs;
    this.data[i + 2] = status ?? NaN;
    this.data[i + 3] = errorKind ? KINDS.indexOf(errorKind) : 0;
    this.count++;
  }

  /** What was pushed since the last call, in a buffer of its own (to transfer); starts empty. */
  take(): Float64Array<ArrayBuffer> {
    const out = this.data.slice(0, this.count * FIELDS);
    this.count = 0;
    return out;
  }
}

/** The samples of a taken batch, in the order they were pushed. */
export function unpackLoadSamples(packed: Float64Array, onSample: (sample: Sample) => void): void {
  for (let i = 0; i + FIELDS <= packed.length; i += FIELDS) {
    const status = packed[i + 2];
    const errorKind = KINDS[packed[i + 3]];
    onSample({
      at: packed[i],
      durationMs: packed[i + 1],
      ok: errorKind === undefined,
      ...(Number.isNaN(status) ? {} : { status }),
      ...(errorKind ? { errorKind } : {}),
    });
  }
}
