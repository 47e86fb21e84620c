// Lab tier: the fault driver's sidecar strategy against a real Docker Engine whose kernel has
// sch_netem (Docker inside user-mode-linux), measured from the host over the lab link.
//
// The target container runs an HTTP server; `delay D jitter J` on its eth0 (egress) delays the
// SYN-ACK and the response of every new connection from the host. busybox httpd sends the
// response as two segments, each jittered on its own, and a request ends with the later one:
// expect +2·D + J/3 per request (E[max of two uniform on D±J] = D + J/3).
// Then the worker is simulated by a child process that applies the fault and is SIGKILLed: the
// helper in the target's netns must remove the fault by itself at expiresAt + grace.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import Docker from 'dockerode';
import { InMemoryLeaseRepository, networkFaultSchema, type FaultLease, type PreparedFault } from '@gameday/core/faults';
import { DockerFaultDriver, ensureHelperImage, execInContainer } from '@gameday/faults';
import { LeaseLedger } from '../../apps/worker/src/runner/lease-ledger';
import type { ApplyChildInput, ApplyChildOutput } from '../../tools/lab/apply-fault-child';
import { httpProbe, waitForHttp } from '../../tools/lab/http-probe';
import { ensureLabTargetImage } from '../../tools/lab/lab-images';
import { describePace, measurePace, QUICK_PACE, type LabPace } from '../../tools/lab/lab-pace';
import { printFigures, round1, trimmedMean, type FigureRow } from '../../tools/lab/stats';
import { releaseLab, sharedUmlDocker } from '../../tools/lab/shared-lab';
import type { UmlDocker } from '../../tools/lab/uml-docker';

const DELAY_MS = 500;
const JITTER_MS = 100;
const TOLERANCE = 0.1;
const TARGET = 'lab-target-1';
const PORT = 8080;
// the helper's timer resolution plus its `tc qdisc del` process in the one-vCPU guest: +1150 ms
// measured on a machine where an exec round trip in a quiet guest took 1.3 s
const EXPIRY_SLACK_MS = 2_000;
const netem = { delay: `${DELAY_MS}ms`, jitter: `${JITTER_MS}ms` };

describe('netem on a real kernel: sidecar strategy on Docker inside user-mode-linux', () => {
  const rows: FigureRow[] = [];
  let lab: UmlDocker | undefined;
  /** the guest's speed when the file starts: what a schedule handed to a helper waits for */
  let pace: LabPace = QUICK_PACE;
  let driver: DockerFaultDriver;
  /** the worker's ledger, in memory: the lease is recorded before the fault is applied */
  const ledger = new LeaseLedger(new InMemoryLeaseRepository());
  let helperImage: string;
  let observerId: string;
  const created: string[] = [];
  let url: string;
  let baseline: number;
  const children: ChildProcess[] = [];

  const ownedQdisc = async (handle: string): Promise<boolean> => {
    const r = await execInContainer(lab!.docker, observerId, ['tc', '-j', 'qdisc', 'show', 'dev', 'eth0']);
    if (r.exitCode !== 0) throw new Error(`tc qdisc show failed: ${r.stderr}`);
    return (JSON.parse(r.stdout) as { handle: string; kind: string }[]).some((q) => q.handle === handle);
  };

  beforeAll(async () => {
    const hostDocker = new Docker();
    const t0 = Date.now();
    const images = [await ensureLabTargetImage(hostDocker), (helperImage = await ensureHelperImage(hostDocker))];
    const buildMs = Date.now() - t0;
    lab = await sharedUmlDocker(images, hostDocker);
    pace = await measurePace(lab.docker);
    process.stdout.write(`${describePace(pace)}\n`);
    for (const old of ['lab-observer', TARGET])
      await lab.docker
        .getContainer(old)
        .remove({ force: true })
        .catch(() => undefined);
    const loads = lab.timings.imageLoads
      .map((l) => `${l.image} ${(l.bytes / 1e6).toFixed(1)} MB in ${l.ms} ms`)
      .join(', ');
    process.stdout.write(
      `nested Docker: images ready on host in ${buildMs} ms; API ready ${lab.timings.apiReadyMs} ms after launch; loaded ${loads}\n`,
    );

    const t1 = Date.now();
    const target = await lab.docker.createContainer({
      name: TARGET,
      Image: images[0],
      Labels: { 'gameday.enabled': 'true' },
      ExposedPorts: { '80/tcp': {} },
      HostConfig: { PortBindings: { '80/tcp': [{ HostIp: lab.host, HostPort: String(PORT) }] } },
    });
    created.push(target.id);
    await target.start();
    // Reads the target's qdiscs from its netns without touching them (no NET_ADMIN needed to look).
    const observer = await lab.docker.createContainer({
      name: 'lab-observer',
      Image: helperImage,
      Entrypoint: ['sleep', 'infinity'],
      Cmd: [],
      HostConfig: { NetworkMode: `container:${target.id}`, CapDrop: ['ALL'] },
    });
    created.push(observer.id);
    await observer.start();
    observerId = observer.id;
    url = `http://${lab.host}:${PORT}/index.html`;
    await waitForHttp(url);
    process.stdout.write(`target and observer containers up in ${Date.now() - t1} ms\n`);
    driver = new DockerFaultDriver(lab.docker, {
      helperImage,
      engine: `tcp://${lab.host}:${lab.port}`,
    });
    baseline = trimmedMean((await httpProbe(url, 20)).samples);
  }, 240_000);

  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    if (rows.length) printFigures('netem lab (sidecar strategy, Docker in user-mode-linux)', rows);
    // nothing of this file stays in the (shared) engine: target and observer removed, no helper left
    if (lab) expect(await releaseLab(lab, created)).toEqual([]);
  }, 60_000);

  it(`delay ${DELAY_MS}ms ${JITTER_MS}ms through the sidecar: measured from the host, then reverted`, async () => {
    const spec = networkFaultSchema.parse({ kind: 'network', target: { container: TARGET }, netem });
    const { targets } = await driver.resolveTargets(spec);
    expect(targets.map((t) => t.containerName)).toEqual([TARGET]);
    let prepared: PreparedFault | undefined;
    let lease: FaultLease | undefined;
    try {
      const t0 = Date.now();
      prepared = await driver.prepare(spec, targets[0], { expiresAt: new Date(Date.now() + 120_000), graceMs: 5_000 });
      const prepareMs = Date.now() - t0;
      const t1 = Date.now();
      lease = await ledger.apply(driver, prepared);
      const applyMs = Date.now() - t1;
      process.stdout.write(`sidecar: prepare (helper start + kernel probe) ${prepareMs} ms, apply ${applyMs} ms\n`);
      expect(await driver.verify(lease)).toEqual({ ok: true });

      const during = await httpProbe(url, 30, 6, Math.round((2 * DELAY_MS) / 6));
      expect(during.errors).toEqual([]);
      const shift = trimmedMean(during.samples) - baseline;
      const expected = Math.round(2 * DELAY_MS + JITTER_MS / 3);
      rows.push({
        check: 'sidecar delay: HTTP new connection',
        requested: `delay ${DELAY_MS}ms ${JITTER_MS}ms`,
        expected: `+${expected} ms ±${TOLERANCE * 100}%`,
        measured: `+${round1(shift)} ms (${round1(baseline)} → ${round1(trimmedMean(during.samples))} tmean)`,
        verdict: Math.abs(shift - expected) <= expected * TOLERANCE ? 'ok' : 'FAIL',
      });
      expect(Math.abs(shift - expected)).toBeLessThanOrEqual(expected * TOLERANCE);

      const reverted = await ledger.revert(driver, lease, 'lab');
      expect(reverted.outcome).toBe('reverted');
      expect(await ownedQdisc(lease.handle!)).toBe(false);
      const after = trimmedMean((await httpProbe(url, 20)).samples);
      const limit = 2 * DELAY_MS * 0.05;
      rows.push({
        check: 'sidecar revert: HTTP',
        requested: 'revert',
        expected: `±${limit} ms of baseline`,
        measured: `${round1(after - baseline)} ms (${round1(baseline)} → ${round1(after)} tmean)`,
        verdict: Math.abs(after - baseline) <= limit ? 'ok' : 'FAIL',
      });
      expect(Math.abs(after - baseline)).toBeLessThanOrEqual(limit);
      expect((await ledger.revert(driver, lease, 'lab again')).outcome).toBe('already_gone');
    } finally {
      if (lease && !lease.revertedAt) await ledger.revert(driver, lease, 'lab cleanup').catch(() => undefined);
      if (prepared) await driver.release(prepared);
    }
  }, 120_000);

  it('SIGKILL of the applying process: the helper removes the fault by expiresAt + grace', async () => {
    const graceMs = 2_000;
    const input: ApplyChildInput = {
      host: lab!.host,
      port: lab!.port,
      helperImage,
      container: TARGET,
      netem,
      // the lease runs from the child's apply: long enough for the checks below (an exec and
      // three probes) to see it in place; 6 s on a quick guest, where the apply took 2.9 s on a
      // slow one and the lease had ended before the first check
      ttlMs: Math.max(6_000, 10 * pace.execMs),
      graceMs,
    };
    const child = spawn(
      process.execPath,
      ['-r', '@swc-node/register', path.join(__dirname, '../../tools/lab/apply-fault-child.ts'), JSON.stringify(input)],
      {
        cwd: path.resolve(__dirname, '../..'),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`apply child exited with ${code} before applying: ${stderr}`)));
    });
    child.kill('SIGKILL');
    const killedAt = Date.now();
    const applied = JSON.parse(line) as ApplyChildOutput;
    const selfExpiryAt = Date.parse(applied.selfExpiryAt);

    // Still applied after the applier died (and its latency is real) ...
    expect(await ownedQdisc(applied.handle)).toBe(true);
    const stillDelayed = trimmedMean((await httpProbe(url, 3, 3)).samples) - baseline;
    expect(stillDelayed).toBeGreaterThan(2 * DELAY_MS * (1 - TOLERANCE));

    // ... until the helper's own timer removes it. Observed from outside, the removal lies
    // between the last check that still saw the qdisc and the first that did not.
    let lastSeenAt = killedAt;
    let goneSeenAt: number | undefined;
    while (Date.now() < selfExpiryAt + 15_000) {
      const checkStarted = Date.now();
      if (!(await ownedQdisc(applied.handle))) {
        goneSeenAt = Date.now();
        break;
      }
      lastSeenAt = checkStarted;
      await new Promise((ok) => setTimeout(ok, 100));
    }
    // The helper's own record of when and why it removed the fault (same clock: the guest's
    // kernel reads the host's time).
    const status = await execInContainer(lab!.docker, applied.helperContainerId, ['gameday-helper', 'status']);
    const kv = Object.fromEntries(
      status.stdout
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]),
    );
    const helperRemovedAt = Number(kv.reverted_at);
    const rel = (t: number): string => `${t - selfExpiryAt >= 0 ? '+' : ''}${t - selfExpiryAt} ms`;
    rows.push({
      check: 'self-expiry after SIGKILL of the applier',
      requested: `expiresAt + grace ${graceMs} ms (applier killed ${round1((selfExpiryAt - killedAt) / 1000)} s before)`,
      expected: `removed at expiresAt + grace (≤ +${EXPIRY_SLACK_MS} ms)`,
      measured:
        goneSeenAt === undefined
          ? 'still present 15 s later'
          : `helper removed it at ${rel(helperRemovedAt)} (${kv.revert_reason}); seen present ${rel(lastSeenAt)}, gone ${rel(goneSeenAt)}`,
      verdict:
        goneSeenAt !== undefined && helperRemovedAt - selfExpiryAt <= EXPIRY_SLACK_MS && helperRemovedAt >= selfExpiryAt
          ? 'ok'
          : 'FAIL',
    });
    expect(goneSeenAt).toBeDefined();
    expect(kv.state).toBe('reverted');
    expect(kv.revert_reason).toBe('expired');
    // on time, and not before its time: the helper honours the lease, it does not guess
    expect(helperRemovedAt).toBeGreaterThanOrEqual(selfExpiryAt);
    expect(helperRemovedAt - selfExpiryAt).toBeLessThanOrEqual(EXPIRY_SLACK_MS);
    // the outside view agrees with the helper's record
    expect(helperRemovedAt).toBeGreaterThanOrEqual(lastSeenAt);
    expect(helperRemovedAt).toBeLessThanOrEqual(goneSeenAt! + 500); // it notes the time right after tc returns
    const after = trimmedMean((await httpProbe(url, 10)).samples);
    expect(Math.abs(after - baseline)).toBeLessThanOrEqual(2 * DELAY_MS * 0.05);
    // the helper lingers a while after its fault is gone; the guest's power-off removes it anyway
    await lab!.docker.getContainer(applied.helperContainerId).remove({ force: true });
  }, 120_000);
});
