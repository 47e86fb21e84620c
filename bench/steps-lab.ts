// The steps bench's measurements in the lab (bench/steps.ts says what and why): the experiment's
// steps armed as the worker arms them, handed their instants, aborted all at once as an abort does,
// and the raw way doing the same faults by `docker exec`.
import {
  InMemoryLeaseRepository,
  STEP_HEARTBEAT_MS,
  systemClock,
  type FaultLease,
  type HelperTimeline,
  type PreparedFault,
} from '@gameday/core';
import { DockerFaultDriver, execInContainer } from '@gameday/faults';
import { FaultConfirmation } from '../apps/worker/src/runner/fault-confirmation';
import { LeaseLedger } from '../apps/worker/src/runner/lease-ledger';
import type { UmlDocker } from '../tools/lab/uml-docker';
import { faultSeenAt, type EchoStream } from './echo-stream';
import {
  ECHO_PORT_NUMBER,
  abortApplied,
  labDockerEnv,
  pool,
  residualCount,
  run,
  sleep,
  startEchoTarget,
} from './lab-bench';
import { abortOutcome, maxParallel, startsOf, stepsPlan, WINDOW_S, type BenchStep, type StepKind } from './steps-plan';
import { TIMING_KINDS } from './timing-kinds';

/** the blackhole steps drop this port: not the echo's, so the echo stream sees only netem */
export const BLACKHOLE_PORT = 8;
/** the helper starts the command this long before its instant (gameday-helper's AT_LEAD_MS) */
const HELPER_HEAD_START_MS = 3_000;
/** an echo at least this much slower than before T0 was held by netem (half its delay) */
const SEEN_THRESHOLD_MS = 100;
const STREAM_BEFORE_MS = 60;
const STREAM_AFTER_MS = 400;

export interface ArmedBenchStep extends BenchStep {
  prepared: PreparedFault;
}

export interface RoundFigures {
  start: number[];
  end: number[];
  outside: number[];
  /** netem injections the echo stream did not see within its window */
  unseen: number;
  /** steps whose helper did not apply and remove them, with why */
  failed: string[];
  handoverMs: number;
  /** how long before the first T0 the last hand-over was done */
  marginMs: number;
}

export interface AbortFigures {
  /** request → the last active step removed (helpers' records, our clock) */
  lastGone: number;
  /** request → every revert (all 50) returned */
  returned: number;
  active: number;
  notBegun: number;
  paths: string[];
}

/** A stand-in for what revertNow never touches (the run's events, the metrics): any use fails loudly. */
function unused<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get: (_t, key) => {
      throw new Error(`${what}.${String(key)}: not expected in an abort's revertNow`);
    },
  });
}

export class StepsBench {
  readonly steps: ArmedBenchStep[] = [];
  private readonly echoes = new Map<string, EchoStream>();
  private readonly leases = new InMemoryLeaseRepository();
  /** the worker's ledger (in memory here): leases recorded before the hand-over, as in a run */
  private readonly ledger = new LeaseLedger(this.leases);
  private driver!: DockerFaultDriver;
  private confirmation!: FaultConfirmation;
  private lastHandoverMs: number | undefined;
  private execPaceMs = 0;

  constructor(
    private readonly lab: UmlDocker,
    private readonly opts: {
      targets: string[];
      handoverConcurrency: number;
      leadMs?: number;
      streamIntervalMs: number;
      log: (line: string) => void;
    },
  ) {}

  /** Targets with their echoes, the plan checked, then one helper prepared per step and target. */
  async setUp(images: {
    target: string;
    helper: string;
  }): Promise<{ prepareMs: number; plan: BenchStep[]; execPaceMs: number }> {
    for (const name of this.opts.targets) this.echoes.set(name, await startEchoTarget(this.lab, images.target, name));
    const plan = stepsPlan({
      targets: this.opts.targets,
      fault: (kind, target) => TIMING_KINDS[kind].spec(target, kind === 'netem' ? ECHO_PORT_NUMBER : BLACKHOLE_PORT),
    });
    const parallel = maxParallel(plan);
    const targets = new Set(plan.map((p) => p.target)).size;
    // each target's netem and blackhole at once (the issue's figure: 20 over 10 targets)
    if (parallel !== 2 * targets)
      throw new Error(`the plan has ${parallel} steps at once over ${targets} targets: the bench needs 2 per target`);
    this.driver = new DockerFaultDriver(this.lab.docker, {
      helperImage: images.helper,
      engine: `tcp://${this.lab.host}:${this.lab.port}`,
    });
    this.confirmation = new FaultConfirmation(this.driver, this.leases, unused('runs'), unused('metrics'), systemClock);
    const t = Date.now();
    // one at a time, as the worker's arming prepares each step on each target
    for (const step of plan) {
      const { targets: resolved } = await this.driver.resolveTargets(step.fault);
      if (resolved.length !== 1) throw new Error(`step ${step.name}: resolved ${resolved.length} targets`);
      const prepared = await this.driver.prepare(step.fault, resolved[0], {
        expiresAt: new Date(Date.now() + 3_600_000),
        graceMs: 5_000,
      });
      this.steps.push({ ...step, prepared });
    }
    const prepareMs = Date.now() - t;
    const paces: number[] = [];
    for (let i = 0; i < 3; i++) {
      const s = Date.now();
      await execInContainer(this.lab.docker, this.steps[0].prepared.helperContainerId!, ['gameday-helper', 'status']);
      paces.push(Date.now() - s);
    }
    this.execPaceMs = paces.sort((a, b) => a - b)[1];
    return { prepareMs, plan, execPaceMs: this.execPaceMs };
  }

  /** How far ahead the window starts: the last hand-over (first: one exec per step) and half again, plus the helper's head start. */
  private lead(): number {
    if (this.opts.leadMs) return this.opts.leadMs;
    const handover = this.lastHandoverMs ?? this.steps.length * this.execPaceMs;
    return Math.round(1.5 * handover + HELPER_HEAD_START_MS + 1_000);
  }

  /** Every step handed its T0/T1 (earliest first); a step handed over after its T0 fails the bench. */
  private async handOver(windowStart: number): Promise<{ leases: FaultLease[]; tookMs: number; marginMs: number }> {
    const t = Date.now();
    let lastDone = 0;
    const order = [...this.steps].sort((a, b) => a.offsetMs - b.offsetMs);
    const leased = await pool(order, this.opts.handoverConcurrency, async (s) => {
      const applyAt = windowStart + s.offsetMs;
      const lease = await this.ledger.schedule(
        this.driver,
        s.prepared,
        // a step begins only while a worker drives the run, as the worker arms steps
        { applyAt: new Date(applyAt), revertAt: new Date(applyAt + s.durationMs), heartbeatMs: STEP_HEARTBEAT_MS },
        s.name,
      );
      const done = Date.now();
      if (done >= applyAt) throw new Error(`step ${s.name} was handed over ${done - applyAt} ms after its T0`);
      lastDone = Math.max(lastDone, done);
      return [s.name, lease] as const;
    });
    const byName = new Map(leased);
    this.lastHandoverMs = Date.now() - t;
    return {
      leases: this.steps.map((s) => byName.get(s.name)!),
      tookMs: this.lastHandoverMs,
      marginMs: windowStart - lastDone,
    };
  }

  /** A helper's record (our clock); an exec that times out in a busy guest is tried again. */
  private async record(lease: FaultLease): Promise<HelperTimeline> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.driver.readTimeline(lease);
      } catch (e) {
        if (attempt >= 3 || !/did not finish within/.test((e as Error).message)) throw e;
        this.opts.log(`  (${lease.details?.step}: the status exec timed out, again)`);
      }
    }
  }

  /** The helpers' records (our clock), once none is before its end any more (or after `waitMs`). */
  private async records(leases: FaultLease[], waitMs: number): Promise<HelperTimeline[]> {
    const deadline = Date.now() + waitMs;
    return pool(leases, 2, async (lease) => {
      let t = await this.record(lease);
      while (['armed', 'applying', 'applied'].includes(t.state) && Date.now() < deadline) {
        await sleep(50);
        t = await this.record(lease);
      }
      return t;
    });
  }

  /** One round: all steps handed over, run by their helpers' clocks, then their records and the echoes. */
  async round(): Promise<RoundFigures> {
    const lead = this.lead();
    const windowStart = Date.now() + lead;
    // the echo windows go first: they wait for their instants while the steps are handed over
    const windows = startsOf(this.steps, 'netem').flatMap((offset) =>
      this.opts.targets.map((target) => {
        const t0 = windowStart + offset;
        const echoes = this.echoes
          .get(target)!
          .window(t0 - STREAM_BEFORE_MS, t0 + STREAM_AFTER_MS, this.opts.streamIntervalMs, 2 * SEEN_THRESHOLD_MS + 300);
        return echoes
          .then((e) => faultSeenAt(e, t0 - 5, SEEN_THRESHOLD_MS))
          .then((at) => (at === null ? null : at - t0));
      }),
    );
    const hand = await this.handOver(windowStart).catch(async (e: unknown) => {
      await Promise.allSettled(windows);
      throw e;
    });
    this.opts.log(
      `  window ${(lead / 1000).toFixed(1)} s ahead; hand-over of ${this.steps.length} steps ${(hand.tookMs / 1000).toFixed(1)} s, the last ${(hand.marginMs / 1000).toFixed(1)} s before the first T0`,
    );
    const seen = await Promise.all(windows);
    await sleep(windowStart + WINDOW_S * 1_000 + 200 - Date.now());
    const records = await this.records(hand.leases, 5_000);
    const start: number[] = [];
    const end: number[] = [];
    const failed: string[] = [];
    // a step's end against its T1 (undefined: no removal on record)
    const endOf = (k: number) => {
      const gone = records[k].revertedAt?.getTime();
      const st = this.steps[k];
      return gone === undefined ? undefined : gone - (windowStart + st.offsetMs + st.durationMs);
    };
    records.forEach((r, i) => {
      const s = this.steps[i];
      const t0 = windowStart + s.offsetMs;
      if (r.state !== 'reverted' || !r.appliedAt || !r.revertedAt) {
        // the step of its kind before it on that target: still in place when it began?
        const k = this.steps.findLastIndex(
          (p) => p.target === s.target && p.kind === s.kind && p.offsetMs < s.offsetMs,
        );
        const before =
          k < 0 ? '' : `; ${this.steps[k].name} before it ended ${endOf(k) ?? '(no record)'} ms after its T1`;
        failed.push(`${s.name}: helper state ${r.state}${r.error ? ` (${r.error})` : ''}${before}`);
        return;
      }
      start.push(r.appliedAt.getTime() - t0);
      end.push(r.revertedAt.getTime() - (t0 + s.durationMs));
    });
    const outside = seen.filter((x): x is number => x !== null);
    return {
      start,
      end,
      outside,
      unseen: seen.length - outside.length,
      failed,
      handoverMs: hand.tookMs,
      marginMs: hand.marginMs,
    };
  }

  /** The raw way: at T0 a host timer per fault runs `docker exec <helper> tc|iptables …`, all at once; skew = done − T0. */
  async rawParallel(): Promise<number[]> {
    const env = labDockerEnv(this.lab);
    const firsts = this.opts.targets.flatMap((target) =>
      (['netem', 'blackhole'] as StepKind[]).map((kind) =>
        this.steps.find((s) => s.target === target && s.kind === kind)!,
      ),
    );
    const cmds = firsts.map((s) => ({
      id: s.prepared.helperContainerId!,
      ...TIMING_KINDS[s.kind].raw(s.prepared, s.kind === 'netem' ? ECHO_PORT_NUMBER : BLACKHOLE_PORT),
    }));
    const t0 = Date.now() + 1_500;
    const skews = await Promise.all(
      cmds.map(
        (c) =>
          new Promise<number>((resolve, reject) =>
            setTimeout(
              () => run('docker', ['exec', c.id, ...c.add], { env }).then(() => resolve(Date.now() - t0), reject),
              t0 - Date.now(),
            ),
          ),
      ),
    );
    await Promise.all(cmds.map((c) => run('docker', ['exec', c.id, ...c.del], { env })));
    return skews;
  }

  /** What of either kind is left on any target (ours or the raw way's). */
  async residual(): Promise<number> {
    const counts = await pool(this.opts.targets, 4, async (target) => {
      let n = 0;
      for (const kind of ['netem', 'blackhole'] as StepKind[])
        n += await residualCount(
          this.lab.docker,
          TIMING_KINDS[kind],
          this.steps.find((s) => s.target === target && s.kind === kind)!.prepared,
        );
      return n;
    });
    return counts.reduce((a, b) => a + b, 0);
  }

  /**
   * All steps handed over; `abortAtMs` into the window every lease is reverted at once, as the
   * worker's abort does (FaultConfirmation.revertNow); after the last planned T0, the helpers'
   * records: when each active step left, and that none not begun began.
   */
  async abortRound(abortAtMs: number): Promise<AbortFigures> {
    const lead = this.lead();
    const windowStart = Date.now() + lead;
    const { leases, tookMs, marginMs } = await this.handOver(windowStart);
    this.opts.log(
      `  window ${(lead / 1000).toFixed(1)} s ahead; hand-over ${(tookMs / 1000).toFixed(1)} s, the last ${(marginMs / 1000).toFixed(1)} s before the first T0`,
    );
    await sleep(windowStart + abortAtMs - Date.now());
    const requested = Date.now();
    const results = await this.confirmation.revertNow(leases, 'abort');
    const returned = Date.now() - requested;
    if (results.size !== leases.length)
      throw new Error(`the abort reverted ${results.size} of ${leases.length} leases (the others failed)`);
    const lastStart = Math.max(...this.steps.map((s) => s.offsetMs));
    await sleep(windowStart + lastStart + 1_000 - Date.now());
    const records = await this.records(leases, 0);
    const { lastGone, active, notBegun } = abortOutcome(this.steps, records, windowStart, requested);
    const left = await this.residual();
    if (left !== 0) throw new Error(`${left} rule(s) left on the targets after the abort`);
    const paths = [...results.values()].map((r) => r.abortPath ?? 'none');
    return { lastGone, returned, active, notBegun, paths };
  }

  /** One fault (the first netem step's helper on one target), applied and aborted `count` times, as bench/timing.ts does. */
  async singleAborts(count: number, afterMs: number): Promise<number[]> {
    const step = this.steps.find((s) => s.kind === 'netem')!;
    const out: number[] = [];
    for (let i = 0; i < count; i++)
      out.push(
        (await abortApplied(this.lab.docker, this.ledger, this.driver, this.driver, step.prepared, afterMs)).removed,
      );
    return out;
  }

  async release(): Promise<void> {
    for (const e of this.echoes.values()) e.close();
    await pool(this.steps, 4, (s) => this.driver.release(s.prepared).catch(() => undefined));
    this.driver?.close();
  }
}
