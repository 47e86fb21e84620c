// What the host's watcher saw of one fault window: when the fault showed, when it was gone, and
// whether it came back. Pure, so its reading of the samples is unit-tested.
import type { LatencySample, SampleClassifier } from './trial-faults';

/** What the watcher saw of one fault window. */
export interface FaultWindowSeen {
  /** start of the first request of the fault's run of shaped requests */
  firstSlowAt?: number;
  /** when the first clean request after that run shows the fault gone (`fault.goneAt`: its start or its answer) */
  goneAt?: number;
  /** long runs of shaped requests after `goneAt`: a fault that came back */
  slowAgain: number;
  samples: number;
  /** requests that failed other than the fault's way */
  errors: number;
  /** slowest request outside the fault window (load on the one-vCPU guest shows here) */
  maxOutsideMs: number;
}

/**
 * The fault is the longest run of shaped requests in a row (`fault.shaped`: slowed under netem,
 * refused under a blackhole); a busy one-vCPU guest also makes a few requests in a row slow, so a
 * fault that came back after its removal is a later shaped run lasting at least `againMs`.
 * Requests neither shaped nor clean (a timeout under netem) count for neither. Clean requests for
 * up to `fault.gapMs` between shaped ones stay inside the run (a kind acting in rounds), so the run
 * is over only once the samples reach past that gap; it is then gone at `fault.goneAt` of the
 * first clean request after it.
 */
export function analyseWindow(
  samples: readonly LatencySample[],
  fault: SampleClassifier,
  minRun = 3,
  againMs = 1_500,
): FaultWindowSeen {
  const ok = samples.filter((s) => fault.shaped(s) || fault.clean(s));
  const slow = (i: number) => fault.shaped(ok[i]);
  const runs: { from: number; to: number; ms: number }[] = [];
  for (let i = 0; i < ok.length;) {
    if (!slow(i)) {
      i++;
      continue;
    }
    let j = i;
    for (;;) {
      let k = j + 1;
      while (k < ok.length && !slow(k) && ok[k].startedAt - ok[j].startedAt <= fault.gapMs) k++;
      if (k >= ok.length || !slow(k) || (k > j + 1 && ok[k].startedAt - ok[j].startedAt > fault.gapMs)) break;
      j = k;
    }
    if (j - i + 1 >= minRun) runs.push({ from: i, to: j, ms: ok[j].startedAt - ok[i].startedAt });
    i = j + 1;
  }
  const run = runs.reduce<(typeof runs)[number] | undefined>(
    (best, r) => (!best || r.ms > best.ms ? r : best),
    undefined,
  );
  const closed = run && ok[ok.length - 1].startedAt - ok[run.to].startedAt > fault.gapMs;
  const goneIdx = run && closed && run.to + 1 < ok.length ? run.to + 1 : undefined;
  const outside = ok.filter((_, i) => !run || i < run.from || i > run.to).map((s) => s.ms);
  return {
    firstSlowAt: run ? ok[run.from].startedAt : undefined,
    goneAt: goneIdx === undefined ? undefined : fault.goneAt(ok[goneIdx]),
    slowAgain: run ? runs.filter((r) => r.from > run.to && r.ms >= againMs).length : 0,
    samples: samples.length,
    errors: samples.filter((x) => x.error && !fault.shaped(x)).length,
    maxOutsideMs: outside.length ? Math.max(...outside) : 0,
  };
}
