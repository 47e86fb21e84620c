import type { LoadAggregate, PlannedWindow } from '@gameday/core';
import type { ProbeSampleRepository } from '@gameday/db';
import type { RecordedSample } from './sample-recorder';

const WINDOWS: readonly string[] = ['baseline', 'fault', 'recovery'] satisfies PlannedWindow[];

/**
 * A resumed run (its worker died mid-experiment) judges the experiment on every sample measured,
 * not only on those taken after the resume: reload what was stored into the recorder. Returns how
 * many samples and load aggregates were restored (0 for a run that starts afresh).
 */
export async function restoreStoredSamples(
  samples: Pick<ProbeSampleRepository, 'listForExperiment' | 'listLoadForExperiment'>,
  recorder: { restore(samples: RecordedSample[]): void; restoreLoad(aggregates: LoadAggregate[]): void },
  runId: string,
  experimentIndex: number,
): Promise<number> {
  const load = (await samples.listLoadForExperiment(runId, experimentIndex)).filter((r) => WINDOWS.includes(r.phase));
  recorder.restoreLoad(
    load.map(({ phase, at, count, errors, sumMs, minMs, maxMs, errorsByKind, statusCounts, buckets }) => ({
      window: phase as PlannedWindow,
      at: at.getTime(),
      count,
      errors,
      sumMs,
      minMs,
      maxMs,
      errorsByKind: errorsByKind as Record<string, number>,
      statusCounts: statusCounts as Record<string, number>,
      buckets: buckets as Record<string, number>,
    })),
  );
  const rows = (await samples.listForExperiment(runId, experimentIndex)).filter((r) => WINDOWS.includes(r.phase));
  recorder.restore(
    rows.map((r) => ({
      probe: r.probe,
      window: r.phase as PlannedWindow,
      at: r.at.getTime(),
      durationMs: r.durationMs,
      ...(r.value !== null ? { value: r.value } : {}),
      ok: r.ok,
      ...(r.status !== null ? { status: r.status } : {}),
      ...(r.errorKind !== null ? { errorKind: r.errorKind } : {}),
    })),
  );
  return rows.length + load.length;
}
