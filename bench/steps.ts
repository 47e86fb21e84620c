// GameDay bench: an experiment of 50 steps, 20 of them in parallel, over 10 targets, in the lab
// (the nested Docker Engine of tools/lab, driven from this host as a worker with DOCKER_HOST is).
// Does each step start and end as on time as a single fault, and does one abort remove every active
// step at once? Each figure beside a baseline measured in the same run.
//
// - the experiment: a GameDay spec the product's schema validates, planned by its stepPlan
//   (bench/steps-plan.ts): per target netem `delay 200ms` at 0–8, 12–20, 24–32 s and a blackhole
//   (drop, ingress, port 8: not the echo's) at 4–10, 16–22 s; 20 steps active at once.
// - arming: one helper per step (DockerFaultDriver.prepare, one at a time, as the worker's arming),
//   timed. Each round hands every step its T0/T1 (LeaseLedger.schedule with the steps' heartbeat,
//   BENCH_STEPS_HANDOVER_CONCURRENCY at a time, earliest first), the window far enough ahead that
//   all are handed over before the first T0 (BENCH_STEPS_LEAD_MS, else 1.5× the last hand-over plus
//   the helper's head start); a step handed over after its T0 fails the bench.
// - start / end skew: each helper's record (our clock): applied − T0, reverted − T1. From outside:
//   an echo stream per target (bench/echo-stream.ts) around each netem T0, all 10 at once.
// - baseline (start): the SRE's script doing the same 20 faults at once: host timers at T0, each
//   `docker exec <helper> tc qdisc add …` / `iptables -I …`; skew = command done − T0.
// - abort: all steps handed over, 5 s into the window (20 active, 30 not begun) every lease is
//   reverted at once as the worker's abort does (FaultConfirmation.revertNow); request → last
//   active step removed (helpers' records); after the last T0, no step not begun began and nothing
//   is left on any target. Baseline: single-fault aborts (applied, aborted 1.5 s later, as
//   bench/timing.ts), request → removed.
//
// Ends with one JSON line. Environment: BENCH_STEP_ROUNDS (3), BENCH_STEP_BASELINE_ROUNDS (3),
// BENCH_STEP_ABORTS (3), BENCH_SINGLE_ABORTS (10), BENCH_STREAM_INTERVAL_MS (5), BENCH_STEPS_LEAD_MS
// (adaptive), BENCH_STEPS_HANDOVER_CONCURRENCY (4), BENCH_STEPS_LAB_MEM_MB (3072), GAMEDAY_LAB_*.
import { figures, met, phase, runInLab, table } from './lab-bench';
import { StepsBench, type AbortFigures, type RoundFigures } from './steps-lab';
import { maxParallel } from './steps-plan';

const ROUNDS = Number(process.env.BENCH_STEP_ROUNDS ?? 3);
const BASELINE_ROUNDS = Number(process.env.BENCH_STEP_BASELINE_ROUNDS ?? 3);
const ABORT_ROUNDS = Number(process.env.BENCH_STEP_ABORTS ?? 3);
const SINGLE_ABORTS = Number(process.env.BENCH_SINGLE_ABORTS ?? 10);
const STREAM_INTERVAL_MS = Number(process.env.BENCH_STREAM_INTERVAL_MS ?? 5);
const LEAD_MS = process.env.BENCH_STEPS_LEAD_MS ? Number(process.env.BENCH_STEPS_LEAD_MS) : undefined;
const HANDOVER_CONCURRENCY = Number(process.env.BENCH_STEPS_HANDOVER_CONCURRENCY ?? 4);
/** 50 helpers and 20 target containers, each with its shim: more than the lab's default 1 GB */
const LAB_MEM_MB = Number(process.env.BENCH_STEPS_LAB_MEM_MB ?? 3_072);
/**
 * 10 by default (the 50 steps, 20 at once); fewer (BENCH_STEP_TARGETS) for what the lab's
 * one-vCPU guest sustains: 50 helpers and 20 containers saturate it (an idle exec takes 3 s)
 */
const TARGETS = Array.from({ length: Number(process.env.BENCH_STEP_TARGETS ?? 10) }, (_, i) => `bench-step-${i}`);
/** into the window: netem 0–8 s and blackhole 4–10 s active on every target, the rest not begun */
const ABORT_AT_MS = 5_000;
/** how long into a single fault its abort comes (bench/timing.ts's default) */
const SINGLE_ABORT_AFTER_MS = 1_500;
/** a step's start and end skew p99 against the raw way's p99, as for a single fault */
const SKEW_RATIO_TARGET = 0.005;
/** the abort of every step against a single fault's abort (p99 both) */
const ABORT_RATIO_TARGET = 2;

const out = (s: string) => process.stdout.write(`${s}\n`);
/** p50 / p99 / max of what a round measured, or that it measured nothing */
const brief = (xs: number[]) => {
  if (xs.length === 0) return 'none';
  const f = figures(xs);
  return `p50 ${f.p50.toFixed(0)} / p99 ${f.p99.toFixed(0)} / max ${f.max.toFixed(0)} ms`;
};

runInLab(async (lab, images) => {
  const started = Date.now();
  const bench = new StepsBench(lab, {
    targets: TARGETS,
    handoverConcurrency: HANDOVER_CONCURRENCY,
    leadMs: LEAD_MS,
    streamIntervalMs: STREAM_INTERVAL_MS,
    log: (s) => out(s),
  });
  try {
    const { prepareMs, plan, execPaceMs } = await phase(
      `${TARGETS.length} targets with echoes, a helper per step`,
      () => bench.setUp(images),
    );
    const most = maxParallel(plan);
    const targets = new Set(plan.map((p) => p.target)).size;
    if (targets < 10)
      out(`REDUCED: ${targets} targets (BENCH_STEP_TARGETS); the issue's figure is 50 steps, 20 at once, 10 targets`);
    out(
      `plan: ${plan.length} steps over ${targets} targets, ${most} at most at once (from the plan); ` +
        `prepared ${bench.steps.length} helpers in ${(prepareMs / 1000).toFixed(1)} s (${Math.round(prepareMs / bench.steps.length)} ms each); guest pace: a status exec ${execPaceMs} ms`,
    );
    const rounds: RoundFigures[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const r = await phase(`round ${i + 1}/${ROUNDS}`, () => bench.round());
      out(
        `  steps run: ${r.start.length}/${plan.length}; start skew ${brief(r.start)}, end skew ${brief(r.end)}, from outside ${brief(r.outside)}; ${r.unseen} netem injection(s) not seen from outside`,
      );
      for (const f of r.failed) out(`  FAILED ${f}`);
      if (r.failed.length > 0)
        throw new Error(`round ${i + 1}: ${r.failed.length} of ${plan.length} steps did not run`);
      rounds.push(r);
    }
    const raw: number[] = [];
    for (let i = 0; i < BASELINE_ROUNDS; i++)
      raw.push(
        ...(await phase(`raw: 20 faults at once by docker exec, ${i + 1}/${BASELINE_ROUNDS}`, () =>
          bench.rawParallel(),
        )),
      );
    if ((await bench.residual()) !== 0) throw new Error('rules left on the targets after the rounds and the raw way');
    const aborts: AbortFigures[] = [];
    for (let i = 0; i < ABORT_ROUNDS; i++) {
      const a = await phase(`abort of all steps ${i + 1}/${ABORT_ROUNDS}`, () => bench.abortRound(ABORT_AT_MS));
      out(
        `  ${a.active} active steps removed, the last ${a.lastGone} ms after the request; every revert returned after ${a.returned} ms; ${a.notBegun} not begun stayed so; nothing left`,
      );
      aborts.push(a);
    }
    const single = await phase(`${SINGLE_ABORTS} single-fault aborts`, () =>
      bench.singleAborts(SINGLE_ABORTS, SINGLE_ABORT_AFTER_MS),
    );

    const start = figures(rounds.flatMap((r) => r.start));
    const end = figures(rounds.flatMap((r) => r.end));
    const outside = figures(rounds.flatMap((r) => r.outside));
    const unseen = rounds.reduce((n, r) => n + r.unseen, 0);
    const rawF = figures(raw);
    const handover = figures(rounds.map((r) => r.handoverMs));
    const abortAll = figures(aborts.map((a) => a.lastGone));
    const abortReturned = figures(aborts.map((a) => a.returned));
    const singleF = figures(single);
    const ratio = (a: number, b: number) => `${(a / b).toFixed(4)}× of baseline p99`;
    const startRatio = start.p99 / rawF.p99;
    const outsideRatio = outside.p99 / rawF.p99;
    const endRatio = end.p99 / rawF.p99;
    const abortRatio = abortAll.p99 / singleF.p99;
    const paths = aborts.flatMap((a) => a.paths);
    const pathCounts = Object.fromEntries([...new Set(paths)].map((p) => [p, paths.filter((x) => x === p).length]));
    const seconds = Math.round((Date.now() - started) / 1000);
    out(
      `\n== GameDay bench: ${plan.length} steps (netem delay 200ms, blackhole drop), ${most} at once, ${targets} targets, Docker in user-mode-linux ==\n` +
        table([
          ['step start skew: helper record (applied − T0)', start, ratio(start.p99, rawF.p99)],
          [`step start skew: seen from outside (netem; ${unseen} not seen)`, outside, ratio(outside.p99, rawF.p99)],
          ['step end skew: helper record (reverted − T1)', end, ratio(end.p99, rawF.p99)],
          ['baseline: 20 timers at T0 + `docker exec … tc|iptables` at once', rawF, 'baseline'],
          [`hand-over of all ${plan.length} steps (per round)`, handover, ''],
          ['abort of all steps: request → last active step removed', abortAll, `${abortRatio.toFixed(2)}× single p99`],
          ['abort of all steps: request → every revert returned', abortReturned, ''],
          ['single fault: request → removed (baseline)', singleF, 'baseline'],
        ]) +
        `\ngoals: start skew p99 ≤ ${SKEW_RATIO_TARGET}× the raw p99 (helper record ${startRatio.toFixed(4)}×: ${met(startRatio <= SKEW_RATIO_TARGET)}; ` +
        `from outside ${outsideRatio.toFixed(4)}×: ${met(outsideRatio <= SKEW_RATIO_TARGET && unseen === 0)}), ` +
        `end skew p99 ${endRatio.toFixed(4)}×: ${met(endRatio <= SKEW_RATIO_TARGET)}; ` +
        `abort of all p99 ≤ ${ABORT_RATIO_TARGET}× a single fault's (${abortRatio.toFixed(2)}×: ${met(abortRatio <= ABORT_RATIO_TARGET)}); ` +
        `abort paths ${JSON.stringify(pathCounts)}; nothing left on the targets; ${seconds} s\n`,
    );
    const r1 = (x: number) => Math.round(x * 10) / 10;
    const r4 = (x: number) => Math.round(x * 10000) / 10000;
    out(
      JSON.stringify({
        step_start_skew_p50_ms: r1(start.p50),
        step_start_skew_p99_ms: r1(start.p99),
        step_start_skew_outside_p50_ms: r1(outside.p50),
        step_start_skew_outside_p99_ms: r1(outside.p99),
        step_start_outside_unseen: unseen,
        step_end_skew_p50_ms: r1(end.p50),
        step_end_skew_p99_ms: r1(end.p99),
        raw_parallel_skew_p50_ms: r1(rawF.p50),
        raw_parallel_skew_p99_ms: r1(rawF.p99),
        step_start_skew_p99_ratio: r4(startRatio),
        step_start_skew_outside_p99_ratio: r4(outsideRatio),
        step_end_skew_p99_ratio: r4(endRatio),
        abort_all_p50_ms: r1(abortAll.p50),
        abort_all_p99_ms: r1(abortAll.p99),
        abort_all_returned_p99_ms: r1(abortReturned.p99),
        single_abort_p50_ms: r1(singleF.p50),
        single_abort_p99_ms: r1(singleF.p99),
        abort_ratio: r4(abortRatio),
        abort_paths: pathCounts,
        prepare_ms_per_helper: Math.round(prepareMs / bench.steps.length),
        guest_exec_ms: execPaceMs,
        handover_p50_ms: Math.round(handover.p50),
        max_parallel: most,
        targets,
        steps: plan.length,
        rounds: ROUNDS,
        seconds,
      }),
    );
  } finally {
    await bench.release();
  }
}, LAB_MEM_MB);
