// Lab tier: the fault compiler's argv run on a kernel that has sch_netem (user-mode-linux), with
// real traffic between network namespaces. Faults are measured here, not assumed.
//
// Topology (see tools/lab/netns-topology.ts): the target namespace's eth0 carries every fault; two
// destination namespaces (A, B) serve HTTP. What to expect from `delay D jitter J` on the
// target's egress: a ping pays D once (the echo request); an HTTP request on a new connection pays
// it twice (the SYN and the one-segment request): +2·D. On ingress (via IFB) the delayed packets
// are the echo reply (+D), the SYN-ACK and the response. busybox httpd sends the response as two
// segments (headers, body), each with its own jitter, and the request ends with the later one:
// E[max of two uniform on D±J] = D + J/3, so HTTP expects +2·D + J/3 there (measured: fixed delay
// 500ms → +998 ms, 500ms ± 100ms → +1027 ms).
import {
  compileNetworkFault,
  networkFaultSchema,
  verifyQdiscs,
  verifyReverted,
  type CompiledNetworkFault,
} from '@gameday/core/faults';
import {
  AgentResults,
  execAll,
  GUEST_AGENT,
  type AgentOutput,
  type Plan,
  type PlanStep,
} from '../../tools/lab/guest-plan';
import { netnsTopologyScript, TOPOLOGY as T } from '../../tools/lab/netns-topology';
import { printFigures, round1, trimmedMean, type FigureRow } from '../../tools/lab/stats';
import { runInUml, type UmlRunResult } from '../../tools/lab/uml';
import { leakedUmlProcesses } from '../../tools/lab/uml-process';

const DELAY_MS = 500;
const JITTER_MS = 100;
const LOSS_PERCENT = 30;
// Sample counts (20-36 per measurement) keep the standard error of each mean under 15 ms against
// tolerances of 50-100 ms (jitter ±100 ms), and the lab's time within CI's budget.
// Shifts compare 10 %-trimmed means: one TCP retransmission stall or a cold-start request on the
// single-vCPU guest would move a plain mean by several ms.
const TOLERANCE = 0.1; // measured shift within ±10 % of the expected shift
const BASELINE_TOLERANCE = 0.05; // "unchanged": within 5 % of the fault's size

function compile(input: Record<string, unknown>): CompiledNetworkFault {
  return compileNetworkFault(
    networkFaultSchema.parse({ kind: 'network', target: { container: 'lab-target' }, ...input }),
  );
}

const faults = {
  delay: compile({ netem: { delay: `${DELAY_MS}ms`, jitter: `${JITTER_MS}ms` } }),
  loss: compile({ netem: { loss: LOSS_PERCENT } }),
  scoped: compile({
    netem: { delay: `${DELAY_MS}ms`, jitter: `${JITTER_MS}ms` },
    scope: { rules: [{ destinations: [`${T.dstA.addr}/32`] }] },
  }),
  ingress: compile({ netem: { delay: `${DELAY_MS}ms`, jitter: `${JITTER_MS}ms` }, direction: 'ingress' }),
  scopedAnd: compile({
    netem: { delay: `${DELAY_MS}ms`, jitter: `${JITTER_MS}ms` },
    scope: { rules: [{ destinations: [`${T.dstA.addr}/32`], ports: [80] }] },
  }),
  scoped6: compile({
    netem: { delay: `${DELAY_MS}ms`, jitter: `${JITTER_MS}ms` },
    scope: { rules: [{ destinations: [`${T.dstA.addr6}/128`] }] },
  }),
};
type FaultName = keyof typeof faults;

const url = (addr: string): string => `http://${addr}/index.html`;
const target = T.target.netns;
// Concurrent workers start spread over one faulted request time, so the guest's single vCPU is
// not asked to serve them all at the same instant (that queueing would add to the latency).
const http = (id: string, addr: string, count: number, concurrency: number): PlanStep => ({
  id,
  op: 'http',
  netns: target,
  url: url(addr),
  count,
  concurrency,
  staggerMs: Math.round((2 * DELAY_MS) / concurrency),
});
const ping = (id: string, addr: string, count: number, intervalS = 0.04): PlanStep => ({
  id,
  op: 'ping',
  netns: target,
  dest: addr,
  count,
  intervalS,
});

// Baselines run one request at a time: the guest has one vCPU, and concurrent requests would
// inflate the baseline with CPU contention that the (spread-out) delayed requests do not see.
function faultPhase(name: FaultName, measure: PlanStep[]): PlanStep[] {
  const f = faults[name];
  return [
    ...execAll(`${name}.apply`, f.apply, target),
    ...execAll(`${name}.verify`, f.verify, target),
    ...measure,
    ...execAll(`${name}.revert`, f.revert, target),
    // verify argv again after revert; a removed IFB device makes `tc … dev gdifb0` fail, which is fine
    ...execAll(`${name}.after`, f.verify, target, true),
  ];
}

const plan: Plan = {
  steps: [
    { id: 'srvA', op: 'spawn', netns: T.dstA.netns, argv: ['busybox', 'httpd', '-f', '-p', '80', '-h', T.wwwDir] },
    { id: 'srvB', op: 'spawn', netns: T.dstB.netns, argv: ['busybox', 'httpd', '-f', '-p', '80', '-h', T.wwwDir] },
    { id: 'waitA', op: 'waitHttp', netns: target, url: url(T.dstA.addr) },
    { id: 'waitB', op: 'waitHttp', netns: target, url: url(T.dstB.addr) },
    http('base.httpA', T.dstA.addr, 20, 1),
    http('base.httpB', T.dstB.addr, 20, 1),
    ping('base.pingA', T.dstA.addr, 24),
    ping('base.pingB', T.dstB.addr, 24),
    ping('base.ping6A', T.dstA.addr6, 24),
    ping('base.ping6B', T.dstB.addr6, 24),
    ...faultPhase('delay', [http('delay.httpA', T.dstA.addr, 24, 8), ping('delay.pingA', T.dstA.addr, 36)]),
    http('reverted.httpA', T.dstA.addr, 20, 1),
    ping('reverted.pingA', T.dstA.addr, 24),
    ...faultPhase('loss', [ping('loss.pingA', T.dstA.addr, 300, 0.01)]),
    ...faultPhase('scoped', [
      ping('scoped.pingA', T.dstA.addr, 36),
      ping('scoped.pingB', T.dstB.addr, 24),
      http('scoped.httpA', T.dstA.addr, 24, 8),
      http('scoped.httpB', T.dstB.addr, 20, 1),
    ]),
    ...faultPhase('ingress', [ping('ingress.pingA', T.dstA.addr, 36), http('ingress.httpA', T.dstA.addr, 24, 8)]),
    // Fields inside one rule are AND'ed: A's port 80 only, not A's ICMP, not B's port 80.
    ...faultPhase('scopedAnd', [
      http('scopedAnd.httpA', T.dstA.addr, 24, 8),
      ping('scopedAnd.pingA', T.dstA.addr, 24),
      http('scopedAnd.httpB', T.dstB.addr, 20, 1),
    ]),
    // IPv6 gets its own filters: a rule for A's IPv6 address leaves A's IPv4 traffic alone.
    ...faultPhase('scoped6', [
      ping('scoped6.ping6A', T.dstA.addr6, 36),
      ping('scoped6.ping6B', T.dstB.addr6, 24),
      ping('scoped6.pingA', T.dstA.addr, 24),
    ]),
    { id: 'final.qdisc', op: 'exec', netns: target, argv: ['tc', '-j', 'qdisc', 'show', 'dev', T.device] },
    { id: 'final.links', op: 'exec', netns: target, argv: ['ip', '-j', 'link', 'show'] },
  ],
  // Whatever failed above, take every fault off again (reverting an absent fault just fails).
  finally: (Object.keys(faults) as FaultName[]).flatMap((name) =>
    execAll(`cleanup.${name}`, faults[name].revert, target, true),
  ),
};

describe('netem on a real kernel: network namespaces in user-mode-linux', () => {
  let run: UmlRunResult;
  let res: AgentResults;
  const rows: FigureRow[] = [];
  /** a measured check failed: the next one (the tier's retry among them) measures the plan anew, once */
  let stale = false;
  let remeasured = false;

  async function measure(): Promise<void> {
    run = await runInUml({
      script: netnsTopologyScript(GUEST_AGENT),
      files: { 'plan.json': JSON.stringify(plan) },
      timeoutMs: 240_000,
    });
    const raw = run.outputs['results.json'];
    if (!raw) throw new Error(`guest agent wrote no results (exit ${run.exitCode}): ${run.stderr}\n${run.stdout}`);
    res = new AgentResults(JSON.parse(raw) as AgentOutput);
    process.stdout.write(
      `lab guest: boot ${run.timings.bootMs} ms, plan ${run.timings.payloadMs} ms, total ${run.timings.totalMs} ms\n`,
    );
  }

  beforeAll(measure, 300_000);

  /**
   * A check of measured figures. The figures are the guest's, taken while other lab lanes share the
   * host's CPUs: one starved stretch once moved a shift 6 ms past its 10 % (+1 106 ms against
   * 1 100). A failed check marks the measurement stale, so its retry (GAMEDAY_TEST_RETRIES, listed
   * with the first failure at the end of `npm test`) judges a new measurement, not the same numbers;
   * the figure table keeps both rows. One new measurement per file at most.
   */
  const measuredIt = (name: string, check: () => void) =>
    it(
      name,
      async () => {
        if (stale) {
          stale = false;
          remeasured = true;
          await measure();
        }
        try {
          check();
        } catch (e) {
          // once: a shift that fails on two measurements is the kernel's or the compiler's, not the host's
          if (!remeasured) stale = true;
          throw e;
        }
      },
      300_000,
    );

  afterAll(() => {
    if (rows.length) printFigures('netem lab (netns pair in user-mode-linux)', rows);
    expect(leakedUmlProcesses()).toEqual([]);
  });

  const tcOutputs = (prefix: string, n: number): string[] =>
    Array.from({ length: n }, (_, i) => {
      const r = res.raw.results[`${prefix}.${i}`] as { code?: number; stdout?: string } | undefined;
      return r?.code === 0 ? (r.stdout ?? '') : '';
    });

  function shift(phase: string, base: string, kind: 'http' | 'ping'): { base: number; during: number; shift: number } {
    const b = kind === 'http' ? trimmedMean(res.http(base).samples) : trimmedMean(res.ping(base).rtts);
    const d = kind === 'http' ? trimmedMean(res.http(phase).samples) : trimmedMean(res.ping(phase).rtts);
    return { base: b, during: d, shift: d - b };
  }

  function expectShift(
    check: string,
    requested: string,
    s: { base: number; during: number; shift: number },
    expected: number,
  ): void {
    const ok = Math.abs(s.shift - expected) <= expected * TOLERANCE;
    rows.push({
      check,
      requested,
      expected: `+${expected} ms ±${TOLERANCE * 100}%`,
      measured: `+${round1(s.shift)} ms (${round1(s.base)} → ${round1(s.during)} tmean)`,
      verdict: ok ? 'ok' : 'FAIL',
    });
    expect(s.shift).toBeGreaterThanOrEqual(expected * (1 - TOLERANCE));
    expect(s.shift).toBeLessThanOrEqual(expected * (1 + TOLERANCE));
  }

  function expectUnchanged(
    check: string,
    requested: string,
    s: { base: number; during: number; shift: number },
    faultMs: number,
  ): void {
    const limit = faultMs * BASELINE_TOLERANCE;
    const ok = Math.abs(s.shift) <= limit;
    rows.push({
      check,
      requested,
      expected: `±${limit} ms of baseline`,
      measured: `${s.shift >= 0 ? '+' : ''}${round1(s.shift)} ms (${round1(s.base)} → ${round1(s.during)} tmean)`,
      verdict: ok ? 'ok' : 'FAIL',
    });
    expect(Math.abs(s.shift)).toBeLessThanOrEqual(limit);
  }

  function expectVerified(name: FaultName): void {
    const f = faults[name];
    const during = verifyQdiscs(f.expected, tcOutputs(`${name}.verify`, f.verify.length));
    const after = verifyReverted(f.expected, tcOutputs(`${name}.after`, f.verify.length));
    rows.push({
      check: `${name}: verifyQdiscs / verifyReverted`,
      requested: 'real tc -j output',
      expected: 'ok / ok',
      measured: `${during.ok ? 'ok' : 'mismatch'} / ${after.ok ? 'ok' : 'mismatch'}`,
      verdict: during.ok && after.ok ? 'ok' : 'FAIL',
    });
    expect(during).toEqual({ ok: true });
    expect(after).toEqual({ ok: true });
  }

  it('ran the whole plan in the guest', () => {
    expect(res.raw.error).toBeUndefined();
    expect(run.exitCode).toBe(0);
  });

  measuredIt(`delay ${DELAY_MS}ms ${JITTER_MS}ms: HTTP on a new connection +2×delay, ping +1×delay`, () => {
    const requested = `delay ${DELAY_MS}ms ${JITTER_MS}ms`;
    expectShift('delay: HTTP new connection', requested, shift('delay.httpA', 'base.httpA', 'http'), 2 * DELAY_MS);
    expectShift('delay: ping', requested, shift('delay.pingA', 'base.pingA', 'ping'), DELAY_MS);
    expect(res.http('delay.httpA').errors).toEqual([]);
  });

  measuredIt('revert brings latency back to the baseline', () => {
    expectUnchanged('reverted: HTTP', 'revert', shift('reverted.httpA', 'base.httpA', 'http'), 2 * DELAY_MS);
    expectUnchanged('reverted: ping', 'revert', shift('reverted.pingA', 'base.pingA', 'ping'), DELAY_MS);
  });

  measuredIt(`loss ${LOSS_PERCENT}% drops 20–40% of ≥200 packets`, () => {
    const p = res.ping('loss.pingA');
    const lost = (100 * (p.transmitted - p.received)) / p.transmitted;
    const ok = p.transmitted >= 200 && lost >= 20 && lost <= 40;
    rows.push({
      check: 'loss: ping',
      requested: `loss ${LOSS_PERCENT}%`,
      expected: '20–40 % of ≥200',
      measured: `${round1(lost)} % of ${p.transmitted}`,
      verdict: ok ? 'ok' : 'FAIL',
    });
    expect(p.transmitted).toBeGreaterThanOrEqual(200);
    expect(lost).toBeGreaterThanOrEqual(20);
    expect(lost).toBeLessThanOrEqual(40);
  });

  measuredIt('destination-scoped delay hits only the chosen destination', () => {
    const requested = `delay to ${T.dstA.addr}/32 only`;
    expectShift('scoped: ping A (in scope)', requested, shift('scoped.pingA', 'base.pingA', 'ping'), DELAY_MS);
    expectShift('scoped: HTTP A (in scope)', requested, shift('scoped.httpA', 'base.httpA', 'http'), 2 * DELAY_MS);
    expectUnchanged('scoped: ping B (out of scope)', requested, shift('scoped.pingB', 'base.pingB', 'ping'), DELAY_MS);
    expectUnchanged(
      'scoped: HTTP B (out of scope)',
      requested,
      shift('scoped.httpB', 'base.httpB', 'http'),
      2 * DELAY_MS,
    );
  });

  measuredIt('a rule with destination AND port delays only traffic matching both', () => {
    const requested = `delay to ${T.dstA.addr}/32 port 80`;
    expectShift(
      'scopedAnd: HTTP A:80 (both match)',
      requested,
      shift('scopedAnd.httpA', 'base.httpA', 'http'),
      2 * DELAY_MS,
    );
    expectUnchanged('scopedAnd: ping A (no port)', requested, shift('scopedAnd.pingA', 'base.pingA', 'ping'), DELAY_MS);
    expectUnchanged(
      'scopedAnd: HTTP B:80 (other dest)',
      requested,
      shift('scopedAnd.httpB', 'base.httpB', 'http'),
      2 * DELAY_MS,
    );
  });

  measuredIt('IPv6 destination scope: only IPv6 traffic to that destination is delayed', () => {
    const requested = `delay to ${T.dstA.addr6}/128 only`;
    expectShift('scoped6: ping6 A (in scope)', requested, shift('scoped6.ping6A', 'base.ping6A', 'ping'), DELAY_MS);
    expectUnchanged(
      'scoped6: ping6 B (out of scope)',
      requested,
      shift('scoped6.ping6B', 'base.ping6B', 'ping'),
      DELAY_MS,
    );
    expectUnchanged('scoped6: ping A over IPv4', requested, shift('scoped6.pingA', 'base.pingA', 'ping'), DELAY_MS);
  });

  measuredIt('ingress delay via IFB is measurable', () => {
    const requested = `ingress delay ${DELAY_MS}ms ${JITTER_MS}ms`;
    expectShift('ingress: ping', requested, shift('ingress.pingA', 'base.pingA', 'ping'), DELAY_MS);
    expectShift(
      'ingress: HTTP new connection',
      requested,
      shift('ingress.httpA', 'base.httpA', 'http'),
      Math.round(2 * DELAY_MS + JITTER_MS / 3),
    );
  });

  it.each(Object.keys(faults) as FaultName[])(
    'verifyQdiscs matches the real kernel for %s, verifyReverted after revert',
    (name) => {
      expectVerified(name);
    },
  );

  it('leaves the target interface as it found it', () => {
    const qdiscs = JSON.parse(res.exec('final.qdisc').stdout) as { kind: string; handle: string }[];
    const links = JSON.parse(res.exec('final.links').stdout) as { ifname: string }[];
    expect(qdiscs.map((q) => q.kind)).toEqual(['noqueue']);
    expect(links.map((l) => l.ifname).sort()).toEqual(['eth0', 'lo']);
  });
});
