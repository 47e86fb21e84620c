import type { ExperimentSpec } from '../spec/gameday.schema';
import { DEFAULT_MIN_SAMPLES } from '../stats/verdict';
import { parseDurationMs } from '../units/duration';

/** Something a GameDay will probably regret, said at create and dry run; never a refusal. */
export interface SpecWarning {
  /** the spec field to change, e.g. experiments[0].durations.baseline */
  field: string;
  message: string;
}

type Window = 'baseline' | 'fault' | 'recovery';

// tolerances judged against the same run's baseline: they need a baseline as much as the window
const BASELINE_RELATIVE = ['maxDeviationRatio', 'maxP50AboveBaselineMs', 'maxP95AboveBaselineMs'];

/**
 * Windows whose length cannot give `minSamples` at the probes' intervals: the verdict would be
 * inconclusive however the system behaves. The hypothesis's probes are judged together, so their
 * samples add up; the recovery window is judged after `settle`.
 */
export function sampleWarnings(
  experiments: readonly Pick<ExperimentSpec, 'hypothesis' | 'durations'>[],
): SpecWarning[] {
  return experiments.flatMap((e, i) => {
    const t = e.hypothesis.tolerances;
    if (!t?.fault && !t?.recovery) return [];
    const minSamples = t.minSamples ?? DEFAULT_MIN_SAMPLES;
    const intervals = e.hypothesis.probes.map((p) => parseDurationMs(p.interval ?? '1s') ?? 1_000);
    const settleMs = parseDurationMs(e.durations.settle ?? '0s') ?? 0;
    const lengths: Record<Window, number> = {
      baseline: parseDurationMs(e.durations.baseline) ?? 0,
      fault: parseDurationMs(e.durations.fault) ?? 0,
      recovery: (parseDurationMs(e.durations.recovery) ?? 0) - settleMs,
    };
    const relative = Object.keys(t.fault ?? {}).some((k) => BASELINE_RELATIVE.includes(k));
    const judged: Window[] = [
      ...(t.recovery || relative ? (['baseline'] as const) : []),
      ...(t.fault ? (['fault'] as const) : []),
      ...(t.recovery ? (['recovery'] as const) : []),
    ];
    return judged.flatMap((w): SpecWarning[] => {
      const expected = intervals.reduce((n, every) => n + Math.floor(lengths[w] / every), 0);
      if (expected >= minSamples) return [];
      const perMs = intervals.reduce((n, every) => n + 1 / every, 0);
      const neededS = Math.ceil((minSamples / perMs + (w === 'recovery' ? settleMs : 0)) / 1000);
      const field = `experiments[${i}].durations.${w}`;
      const given =
        w === 'recovery' && settleMs > 0
          ? `${e.durations.recovery} recovery (after its ${e.durations.settle} settle)`
          : `${e.durations[w]} ${w}`;
      return [
        {
          field,
          message: `a ${given} gives about ${expected} sample(s) at the probes' interval (${e.hypothesis.probes.map((p) => `every ${p.interval ?? '1s'}`).join(', ')}), fewer than minSamples ${minSamples}: the verdict would be inconclusive; make it at least ${neededS}s or probe more often`,
        },
      ];
    });
  });
}
