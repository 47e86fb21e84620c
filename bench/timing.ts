// GameDay bench: how on time is injection, how fast is an abort, each beside the raw way an SRE
// does it today, measured in the same run on the same target.
//
// Where: a Docker Engine on a kernel with sch_netem (user-mode-linux; see tools/lab/README.md),
// driven from this host over the lab link, exactly as a worker with DOCKER_HOST would.
//
// - injection skew (ours): the real driver path. A helper is prepared ahead in the target's netns
//   (DockerFaultDriver.prepare), scheduleApply hands it T0/T1, and the helper's own record says
//   when `tc qdisc add` returned: skew = applied − T0 (and when it started tc, which separates
//   the helper's timer from the cost of running tc in the guest).
// - injection skew (seen from outside): during each of those injections the host sends a message
//   every millisecond (BENCH_STREAM_INTERVAL_MS) over one TCP connection to an echo in the
//   target's netns; the first echo held by netem marks when the fault went in (bench/echo-stream.ts).
//   Reported beside the helper's record, with the difference per injection.
// - injection skew (baseline): a host timer fires at T0 and runs
//   `docker exec <helper> tc qdisc add dev eth0 root … netem delay …`; skew = command done − T0.
// - abort latency (ours): driver.revert(lease, 'abort') on an active fault armed by this driver:
//   the line `abort <nonce>` on the helper's stdin, which the driver holds since it created the
//   helper (no Docker request before it), then a confirming exec; latency = request → fault removed
//   in the netns (helper record), and → revert() returned (it also verifies that nothing is left).
//   Each abort's path (stdin or signal) is counted; the target is a ratio: p99 ≤ 0.05× the raw
//   way's p99 in the same run.
// - abort latency (fallback): the same through a second driver that did not arm the helper (a
//   worker that took over after a crash): a signal through the Docker API, then the exec.
// - abort latency (baseline): `docker exec <helper> tc qdisc del dev eth0 root …`, request → done.
//
// BENCH_KIND picks the fault (bench/timing-kinds.ts): netem (default) or blackhole (a drop of the
// echo port: seen from outside as the first echo that never comes back; the raw way is one
// `iptables -I INPUT … -j DROP` by `docker exec`).
//
// Ends with one JSON line of the figures. Environment: BENCH_KIND (netem), BENCH_INJECTIONS (default 30),
// BENCH_BASELINE (default 30), BENCH_ABORTS (default 20), BENCH_SIGNAL_ABORTS (default 5),
// BENCH_ABORT_AFTER_MS (default 1500),
// BENCH_LEAD_MS (default 6000), GAMEDAY_LAB_* as for the lab tier.
import { InMemoryLeaseRepository, type AbortPath, type PreparedFault } from '@gameday/core';
import { DockerFaultDriver, execInContainer } from '@gameday/faults';
import { LeaseLedger } from '../apps/worker/src/runner/lease-ledger';
import { type EchoStream, faultSeenAt } from './echo-stream';
import type { UmlDocker } from '../tools/lab/uml-docker';
import {
  ECHO_PORT_NUMBER,
  abortApplied,
  figures,
  helperStatus,
  labDockerEnv,
  met,
  phase,
  residualCount,
  run,
  runInLab,
  sleep,
  startEchoTarget,
  table,
  type Figures,
} from './lab-bench';
import { timingKind, type TimingKind } from './timing-kinds';

const INJECTIONS = Number(process.env.BENCH_INJECTIONS ?? 30);
const BASELINE = Number(process.env.BENCH_BASELINE ?? 30);
const ABORTS = Number(process.env.BENCH_ABORTS ?? 20);
/** aborts through a driver that did not arm the helper: the signal fallback, for comparison */
const SIGNAL_ABORTS = Number(process.env.BENCH_SIGNAL_ABORTS ?? 5);
/** abort p99 against the raw way's p99 measured in the same run */
const ABORT_RATIO_TARGET = 0.05;
/** injection skew p99 (helper record and from outside) against the raw `docker exec … tc` p99 */
const INJECTION_RATIO_TARGET = 0.005;
/**
 * How long into the fault the abort comes (both ways alike): a guardrail or an operator acts
 * seconds after T0; by then the helper holds the undo ready in gameday-at (it starts right after
 * the apply, ~100+ ms of loading tc in the lab guest).
 */
const ABORT_AFTER_MS = Number(process.env.BENCH_ABORT_AFTER_MS ?? 1_500);
const TARGET = 'bench-target';
/**
 * How far ahead of T0 the fault is handed to the helper, as the runner does at arming (seconds to
 * minutes ahead). It must cover the schedule's own `docker exec` (1.9 s in a quiet lab guest on a
 * slow machine) plus the helper's 3 s head start of tc: with 600 ms the figure measured the exec,
 * not the helper (skew p50 1.9 s, the same as the raw baseline).
 */
const LEAD_MS = Number(process.env.BENCH_LEAD_MS ?? 6_000);
/** long enough that the revert instant is its own: the helper starts tc for it 3 s ahead */
const HOLD_MS = 4_000;
const KIND: TimingKind = timingKind(process.env.BENCH_KIND ?? 'netem');
/** an echo at least this much slower than before T0 was held by the fault (half netem's delay) */
const SEEN_THRESHOLD_MS = 100;
const STREAM_INTERVAL_MS = Number(process.env.BENCH_STREAM_INTERVAL_MS ?? 1);
/** the echo stream runs from T0 − 60 ms to T0 + 400 ms around each scheduled injection */
const STREAM_BEFORE_MS = 60;
const STREAM_AFTER_MS = 400;

class Bench {
  private driver!: DockerFaultDriver;
  /** the worker's ledger (in memory here): leases recorded before apply, as in a run */
  private readonly ledger = new LeaseLedger(new InMemoryLeaseRepository());
  private prepared!: PreparedFault;
  private helperId!: string;
  private dockerEnv!: NodeJS.ProcessEnv;
  private echo!: EchoStream;

  constructor(
    private readonly lab: UmlDocker,
    private readonly helperImage: string,
  ) {}

  async setUp(targetImage: string): Promise<void> {
    this.echo = await startEchoTarget(this.lab, targetImage, TARGET);
    this.driver = new DockerFaultDriver(this.lab.docker, {
      helperImage: this.helperImage,
      engine: `tcp://${this.lab.host}:${this.lab.port}`,
    });
    const spec = KIND.spec(TARGET, ECHO_PORT_NUMBER);
    const { targets } = await this.driver.resolveTargets(spec);
    if (targets.length !== 1) throw new Error(`expected the bench target, resolved ${targets.length}`);
    const t = Date.now();
    this.prepared = await this.driver.prepare(spec, targets[0], {
      expiresAt: new Date(Date.now() + 3_600_000),
      graceMs: 5_000,
    });
    this.helperId = this.prepared.helperContainerId!;
    process.stdout.write(`prepared (helper started in the target's netns, kernel probed) in ${Date.now() - t} ms\n`);
    this.dockerEnv = labDockerEnv(this.lab);
  }

  private helperStatus(): Promise<Record<string, string>> {
    return helperStatus(this.lab.docker, this.helperId);
  }

  /** what of ours (and of the raw way) is still on the target */
  private leftCount(): Promise<number> {
    return residualCount(this.lab.docker, KIND, this.prepared);
  }

  /** Ours: scheduleApply at T0/T1; the helper applies and reverts by its own clock. */
  async scheduledInjections(): Promise<{ inject: number[]; woke: number[]; revert: number[]; outside: number[] }> {
    const inject: number[] = [];
    const woke: number[] = [];
    const revert: number[] = [];
    const outside: number[] = [];
    for (let i = 0; i < INJECTIONS; i++) {
      const applyAt = Date.now() + LEAD_MS;
      const revertAt = applyAt + HOLD_MS;
      await this.ledger.schedule(this.driver, this.prepared, {
        applyAt: new Date(applyAt),
        revertAt: new Date(revertAt),
      });
      const streamed = this.echo.window(
        applyAt - STREAM_BEFORE_MS,
        applyAt + STREAM_AFTER_MS,
        STREAM_INTERVAL_MS,
        // the held echoes come back one delay later (the lost ones only after the revert)
        2 * SEEN_THRESHOLD_MS + 300,
      );
      await sleep(Math.max(0, revertAt - Date.now()) + 50);
      let st = await this.helperStatus();
      for (let k = 0; st.state !== 'reverted' && k < 100; k++) {
        await sleep(20);
        st = await this.helperStatus();
      }
      if (st.state !== 'reverted' || !st.applied_at)
        throw new Error(`injection ${i}: helper state ${st.state} (${st.error ?? ''})`);
      inject.push(Number(st.applied_at) - applyAt);
      woke.push(Number(st.apply_started_at) - applyAt);
      revert.push(Number(st.reverted_at) - revertAt);
      const seenAt = faultSeenAt(
        await streamed,
        applyAt - 5,
        SEEN_THRESHOLD_MS,
        KIND.seenAs === 'lost' ? 'held' : 'ignore',
      );
      if (seenAt === null) {
        const echoes = await streamed;
        const answered = echoes.filter((e) => e.rttMs !== null && e.sentAt < applyAt).length;
        throw new Error(
          `injection ${i}: the echo stream did not see the fault within ${STREAM_AFTER_MS} ms of T0 (${answered} echoes before T0)`,
        );
      }
      outside.push(seenAt - applyAt);
      // a fault that drops leaves TCP backing off (its retransmission timer doubled while it
      // lasted): the next window waits until the stream answers again
      if (KIND.seenAs === 'lost') await this.echo.ready(20_000);
    }
    return { inject, woke, revert, outside };
  }

  private handleArgs(): { add: string[]; del: string[] } {
    return KIND.raw(this.prepared, ECHO_PORT_NUMBER);
  }

  /** Baseline: a host timer at T0 runs the raw command; skew = command done − T0. */
  async rawInjections(via: 'cli' | 'api', count: number): Promise<number[]> {
    const { add, del } = this.handleArgs();
    const exec = async (argv: string[]) => {
      if (via === 'cli') await run('docker', ['exec', this.helperId, ...argv], { env: this.dockerEnv });
      else {
        const r = await execInContainer(this.lab.docker, this.helperId, argv);
        if (r.exitCode !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
      }
    };
    const skews: number[] = [];
    for (let i = 0; i < count; i++) {
      const t0 = Date.now() + LEAD_MS;
      await new Promise<void>((resolve, reject) => setTimeout(() => exec(add).then(resolve, reject), t0 - Date.now()));
      skews.push(Date.now() - t0);
      await exec(del);
    }
    return skews;
  }

  /**
   * Ours: request → helper removed the qdisc, and → revert() returned verified; `via` is the
   * driver asked: the one that armed the helper (it holds its stdin), or a second one that did not
   * (the signal fallback). Each abort's path is returned as the driver reported it.
   */
  async aborts(
    count: number,
    via: 'armed' | 'other',
  ): Promise<{ removed: number[]; returned: number[]; paths: (AbortPath | 'none')[] }> {
    const removed: number[] = [];
    const returned: number[] = [];
    const paths: (AbortPath | 'none')[] = [];
    const driver =
      via === 'armed'
        ? this.driver
        : new DockerFaultDriver(this.lab.docker, {
            helperImage: this.helperImage,
            engine: `tcp://${this.lab.host}:${this.lab.port}`,
          });
    for (let i = 0; i < count; i++) {
      const a = await abortApplied(this.lab.docker, this.ledger, this.driver, driver, this.prepared, ABORT_AFTER_MS);
      removed.push(a.removed);
      returned.push(a.returned);
      paths.push(a.path);
    }
    return { removed, returned, paths };
  }

  /** Baseline: the raw `docker exec … tc qdisc del`. */
  async rawAborts(): Promise<number[]> {
    const { add, del } = this.handleArgs();
    const out: number[] = [];
    for (let i = 0; i < ABORTS; i++) {
      await run('docker', ['exec', this.helperId, ...add], { env: this.dockerEnv });
      await sleep(ABORT_AFTER_MS);
      const requested = Date.now();
      await run('docker', ['exec', this.helperId, ...del], { env: this.dockerEnv });
      out.push(Date.now() - requested);
    }
    return out;
  }

  armed(): PreparedFault {
    return this.prepared;
  }

  async residual(): Promise<number> {
    return this.leftCount();
  }

  async release(): Promise<void> {
    this.echo?.close();
    // setUp may have failed before the helper existed: its error is the one to show
    if (this.prepared) await this.driver.release(this.prepared).catch(() => undefined);
  }
}

runInLab(async (lab, images) => {
  const started = Date.now();
  const bench = new Bench(lab, images.helper);
  try {
    await bench.setUp(images.target);

    const scheduled = await phase(`${INJECTIONS} scheduled injections`, () => bench.scheduledInjections());
    const rawCli = await phase(`${BASELINE} raw injections (docker CLI)`, () => bench.rawInjections('cli', BASELINE));
    const rawApi = await phase(`${Math.ceil(BASELINE / 2)} raw injections (Engine API)`, () =>
      bench.rawInjections('api', Math.ceil(BASELINE / 2)),
    );
    const aborts = await phase(`${ABORTS} aborts (driver.revert)`, () => bench.aborts(ABORTS, 'armed'));
    const signalAborts = await phase(`${SIGNAL_ABORTS} aborts (a driver that did not arm it)`, () =>
      bench.aborts(SIGNAL_ABORTS, 'other'),
    );
    const rawAborts = await phase(`${ABORTS} raw aborts (docker CLI)`, () => bench.rawAborts());
    const residual = await bench.residual();
    if (residual !== 0) throw new Error(`${residual} ${KIND.name} rule(s) left on the bench target`);

    const inj = figures(scheduled.inject);
    const woke = figures(scheduled.woke);
    const rev = figures(scheduled.revert);
    const seen = figures(scheduled.outside);
    // per injection: how much later (or sooner) the fault showed from outside than the helper's record
    const gap = figures(scheduled.outside.map((o, i) => o - scheduled.inject[i]));
    const cli = figures(rawCli);
    const api = figures(rawApi);
    const abortRemoved = figures(aborts.removed);
    const abortReturned = figures(aborts.returned);
    const rawAbort = figures(rawAborts);
    const signalRemoved = SIGNAL_ABORTS > 0 ? figures(signalAborts.removed) : undefined;
    const pathCounts = (paths: string[]) =>
      Object.fromEntries([...new Set(paths)].map((p) => [p, paths.filter((x) => x === p).length]));
    const abortPaths = pathCounts(aborts.paths);
    const abortRatio = abortRemoved.p99 / rawAbort.p99;
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}× of baseline p99`;
    const raw = KIND.raw(bench.armed(), ECHO_PORT_NUMBER);
    const [rawAdd, rawDel] = [raw.add, raw.del].map((argv) => argv.slice(0, 4).join(' '));
    process.stdout.write(
      `\n== GameDay bench: ${KIND.describe}, Docker in user-mode-linux, driven from the host ==\n` +
        table([
          ['injection skew: scheduled helper (applied − T0)', inj, ratio(inj.p99, cli.p99)],
          ['  of which: helper started the command (apply_started − T0)', woke, 'rest: its run time in the guest'],
          ['injection skew: seen from outside (first held echo − T0)', seen, ratio(seen.p99, cli.p99)],
          ['  outside − helper record, per injection', gap, ''],
          ['revert skew: scheduled helper (reverted − T1)', rev, ''],
          [`baseline: timer at T0 + \`docker exec … ${rawAdd}\``, cli, 'baseline'],
          [`baseline: timer at T0 + API exec ${rawAdd}`, api, ratio(api.p99, cli.p99)],
          [
            'abort latency: request → fault removed (driver.revert)',
            abortRemoved,
            ratio(abortRemoved.p99, rawAbort.p99),
          ],
          ['abort latency: request → revert() verified', abortReturned, ratio(abortReturned.p99, rawAbort.p99)],
          ...(signalRemoved
            ? [
                [
                  'abort latency, fallback (no stream: signal) → fault removed',
                  signalRemoved,
                  ratio(signalRemoved.p99, rawAbort.p99),
                ] as [string, Figures, string],
              ]
            : []),
          [`baseline: \`docker exec … ${rawDel}\``, rawAbort, 'baseline'],
        ]) +
        `\ntargets: injection skew p99 ≤ ${INJECTION_RATIO_TARGET}× the raw way's p99 (helper record ${(inj.p99 / cli.p99).toFixed(4)}×: ${met(inj.p99 / cli.p99 <= INJECTION_RATIO_TARGET)}; from outside ${(seen.p99 / cli.p99).toFixed(4)}×: ${met(seen.p99 / cli.p99 <= INJECTION_RATIO_TARGET)}), abort p99 ≤ ${ABORT_RATIO_TARGET}× the raw way's p99 (${abortRatio.toFixed(3)}×: ${met(abortRatio <= ABORT_RATIO_TARGET)}); abort paths (ours): ${JSON.stringify(abortPaths)}, fallback: ${JSON.stringify(pathCounts(signalAborts.paths))}; nothing of ${KIND.name} left; ${Math.round((Date.now() - started) / 1000)} s\n`,
    );
    const r1 = (x: number) => Math.round(x * 10) / 10;
    const kindField = { kind: KIND.name };
    const r3 = (x: number) => Math.round(x * 1000) / 1000;
    const r4 = (x: number) => Math.round(x * 10000) / 10000;
    process.stdout.write(
      `${JSON.stringify({
        ...kindField,
        injection_skew_p50_ms: r1(inj.p50),
        injection_skew_p99_ms: r1(inj.p99),
        helper_start_skew_p99_ms: r1(woke.p99),
        injection_skew_outside_p50_ms: r1(seen.p50),
        injection_skew_outside_p99_ms: r1(seen.p99),
        outside_minus_helper_p50_ms: r1(gap.p50),
        outside_minus_helper_max_ms: r1(gap.max),
        injection_skew_p99_ratio: r4(inj.p99 / cli.p99),
        injection_skew_outside_p99_ratio: r4(seen.p99 / cli.p99),
        baseline_exec_skew_p50_ms: r1(cli.p50),
        baseline_exec_skew_p99_ms: r1(cli.p99),
        abort_latency_p50_ms: r1(abortRemoved.p50),
        abort_latency_p99_ms: r1(abortRemoved.p99),
        baseline_abort_p50_ms: r1(rawAbort.p50),
        baseline_abort_p99_ms: r1(rawAbort.p99),
        abort_latency_p99_ratio: r3(abortRatio),
        abort_paths: abortPaths,
        ...(signalRemoved
          ? {
              abort_signal_p50_ms: r1(signalRemoved.p50),
              abort_signal_p99_ms: r1(signalRemoved.p99),
              abort_signal_p99_ratio: r3(signalRemoved.p99 / rawAbort.p99),
              abort_signal_paths: pathCounts(signalAborts.paths),
            }
          : {}),
      })}\n`,
    );
  } finally {
    await bench.release();
  }
});
