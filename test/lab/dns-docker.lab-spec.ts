// Lab tier: the dns kind on Docker inside user-mode-linux (legacy iptables only, no IPv4 nf_tables,
// Docker's embedded DNS for a user-defined network): a target resolves two peers through Docker's
// 127.0.0.11; a fault on one peer's name is applied at T0 and removed at T1 by the helper's clock.
// Fidelity is counted from inside the target, query by query: every query for the matching name
// fails as asked, every other one resolves, and an asked delay is measured by the target's own
// clock; after T1 the target's nat table is what it was and no resolver is left.
import Docker from 'dockerode';
import { faultSchema, InMemoryLeaseRepository, type DnsFaultSpec } from '@gameday/core';
import { DockerFaultDriver, ensureDnsImage, ensureHelperImage, execInContainer } from '@gameday/faults';
import { LeaseLedger } from '../../apps/worker/src/runner/lease-ledger';
import { ensureLabTargetImage } from '../../tools/lab/lab-images';
import { describePace, measurePace, QUICK_PACE, scheduleLeadMs, type LabPace } from '../../tools/lab/lab-pace';
import { releaseLab, sharedUmlDocker } from '../../tools/lab/shared-lab';
import type { UmlDocker } from '../../tools/lab/uml-docker';

const NET = 'lab-dns-net';
const TARGET = 'lab-dns-target';
const A = 'lab-dns-svc-a';
const B = 'lab-dns-svc-b';
const QUERIES = 20;

/** Asks each name `n` times from inside the target and prints one line a query: name and answer. */
const askScript = (names: string[], n: number) =>
  `q() { out=$(nslookup "$1" 2>&1); case "$out" in *NXDOMAIN*) echo "$1 nxdomain";; *SERVFAIL*) echo "$1 servfail";; *"Address: "*) echo "$1 $(echo "$out" | sed -n 's/^Address: //p' | tail -1)";; *) echo "$1 none";; esac; }; ` +
  `i=0; while [ $i -lt ${n} ]; do ${names.map((x) => `q ${x};`).join(' ')} i=$((i+1)); done`;

describe('dns on a real kernel with legacy iptables: Docker inside user-mode-linux', () => {
  let lab: UmlDocker | undefined;
  /** the guest's speed when the file starts: what a schedule handed to a helper waits for */
  let pace: LabPace = QUICK_PACE;
  let driver: DockerFaultDriver;
  const created: string[] = [];
  const ledger = new LeaseLedger(new InMemoryLeaseRepository());
  const ips: Record<string, string> = {};
  let targetId = '';

  const inTarget = async (script: string) => {
    // the target holds only a static busybox (its applets run from its own shell)
    const r = await execInContainer(lab!.docker, targetId, ['/bin/busybox', 'sh', '-c', script]);
    if (r.exitCode !== 0) throw new Error(`in the target: exit ${r.exitCode}: ${r.stderr} ${r.stdout}`);
    return r.stdout;
  };
  /** How each query for each name was answered, counted: {"lab-dns-svc-a nxdomain": 20, …}. */
  const ask = async (names: string[], n: number) => {
    const counts: Record<string, number> = {};
    for (const line of (await inTarget(askScript(names, n))).trim().split('\n')) counts[line] = (counts[line] ?? 0) + 1;
    return counts;
  };
  const natTable = async (helperId: string) =>
    (await execInContainer(lab!.docker, helperId, ['iptables-legacy', '-w', '-t', 'nat', '-S'])).stdout;

  beforeAll(async () => {
    const hostDocker = new Docker();
    const helperImage = await ensureHelperImage(hostDocker);
    const images = [await ensureLabTargetImage(hostDocker), helperImage, await ensureDnsImage(hostDocker, helperImage)];
    lab = await sharedUmlDocker(images, hostDocker);
    pace = await measurePace(lab.docker);
    process.stdout.write(`${describePace(pace)}\n`);
    for (const name of [TARGET, A, B])
      await lab.docker
        .getContainer(name)
        .remove({ force: true })
        .catch(() => undefined);
    await lab.docker
      .getNetwork(NET)
      .remove()
      .catch(() => undefined);
    await lab.docker.createNetwork({ Name: NET, Driver: 'bridge' });
    for (const name of [A, B, TARGET]) {
      const c = await lab.docker.createContainer({
        name,
        Image: images[0],
        Cmd: ['/bin/busybox', 'sleep', '100000'],
        Labels: { 'gameday.enabled': 'true' },
        HostConfig: { NetworkMode: NET },
      });
      created.push(c.id);
      await c.start();
      ips[name] = (await c.inspect()).NetworkSettings.Networks[NET].IPAddress;
      if (name === TARGET) targetId = c.id;
    }
    driver = new DockerFaultDriver(lab.docker, { helperImage, engine: `tcp://${lab.host}:${lab.port}` });
  }, 600_000);

  afterAll(async () => {
    if (lab) {
      expect(await releaseLab(lab, created)).toEqual([]);
      await lab.docker
        .getNetwork(NET)
        .remove()
        .catch(() => undefined);
    }
  }, 60_000);

  const spec = (extra: Record<string, unknown>) =>
    faultSchema.parse({ kind: 'dns', target: { container: TARGET }, names: [A], ...extra }) as DnsFaultSpec;

  it('nxdomain: every query for the name fails from T0, every other one resolves, all resolve after T1; nothing left', async () => {
    const before = await ask([A, B], 2);
    expect(before).toEqual({ [`${A} ${ips[A]}`]: 2, [`${B} ${ips[B]}`]: 2 });
    const { targets } = await driver.resolveTargets(spec({ action: 'nxdomain' }));
    const prepared = await driver.prepare(spec({ action: 'nxdomain' }), targets[0], {
      expiresAt: new Date(Date.now() + 300_000),
    });
    const helperId = prepared.helperContainerId!;
    const natBefore = await natTable(helperId);
    // an exec into the guest takes a second or more on a busy host: T0 well ahead
    const t0 = Date.now() + scheduleLeadMs(pace);
    const t1 = t0 + 40_000;
    const lease = await ledger.schedule(driver, prepared, { applyAt: new Date(t0), revertAt: new Date(t1) });
    await new Promise((r) => setTimeout(r, t0 + 500 - Date.now()));
    const during = await ask([A, B], QUERIES);
    const doneAt = Date.now();
    console.log(
      `dns nxdomain in the lab, ${QUERIES} queries each in ${doneAt - t0 - 500} ms: ${JSON.stringify(during)}`,
    );
    expect(doneAt).toBeLessThan(t1);
    expect(during).toEqual({ [`${A} nxdomain`]: QUERIES, [`${B} ${ips[B]}`]: QUERIES });
    expect(await driver.verify(lease)).toEqual({ ok: true });
    // out at T1 by the helper's clock (the worker does nothing here)
    await new Promise((r) => setTimeout(r, t1 + 500 - Date.now()));
    let timeline = await ledger.readTimeline(driver, lease);
    for (let i = 0; timeline.state !== 'reverted' && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 200));
      timeline = await ledger.readTimeline(driver, lease);
    }
    expect(timeline.state).toBe('reverted');
    const applied = timeline.appliedAt!.getTime() - t0;
    const reverted = timeline.revertedAt!.getTime() - t1;
    console.log(
      `dns nxdomain in the lab: the helper's record: applied ${applied} ms after T0, reverted ${reverted} ms after T1`,
    );
    expect(applied).toBeGreaterThanOrEqual(0);
    expect(reverted).toBeGreaterThanOrEqual(0);
    expect(await ask([A, B], 2)).toEqual({ [`${A} ${ips[A]}`]: 2, [`${B} ${ips[B]}`]: 2 });
    expect(await natTable(helperId)).toBe(natBefore);
    const ps = await execInContainer(lab!.docker, helperId, ['ps', '-o', 'comm']);
    expect(ps.stdout).not.toMatch(/dnsdist/);
    await driver.release(prepared);
  }, 180_000);

  it("delay: the real answer, late by what was asked (the target's own clock), other names at once", async () => {
    const delayMs = 500;
    const { targets } = await driver.resolveTargets(spec({ action: 'delay', delayMs }));
    const prepared = await driver.prepare(spec({ action: 'delay', delayMs }), targets[0], {
      expiresAt: new Date(Date.now() + 300_000),
    });
    const lease = await ledger.apply(driver, prepared);
    try {
      // busybox's `time` in the target: one line "real 0m 0.51s" a query, 10 ms resolution
      const timed = async (name: string) => {
        const out = await inTarget(
          // time's report is on its stderr (to the pipe), nslookup's answer on stdout (dropped)
          `i=0; while [ $i -lt 5 ]; do time nslookup ${name} 2>&1 >/dev/null; i=$((i+1)); done | grep real`,
        );
        return [...out.matchAll(/real\s+(\d+)m\s*([\d.]+)s/g)].map((m) => Number(m[1]) * 60_000 + Number(m[2]) * 1000);
      };
      const a = await timed(A);
      const b = await timed(B);
      console.log(`dns delay ${delayMs} ms in the lab: ${A} ${a.join(', ')} ms; ${B} ${b.join(', ')} ms`);
      expect(a).toHaveLength(5);
      // a busybox nslookup asks A and AAAA at once: both late by the delay, each within +10 % and
      // the guest's own time to run nslookup (what the other name shows)
      const base = Math.max(...b);
      for (const ms of a) {
        expect(ms).toBeGreaterThanOrEqual(delayMs - 10);
        expect(ms).toBeLessThanOrEqual(delayMs * 1.1 + base + 10);
      }
      for (const ms of b) expect(ms).toBeLessThan(delayMs);
    } finally {
      expect((await ledger.revert(driver, lease, 'planned_end')).outcome).toBe('reverted');
      await driver.release(prepared);
    }
  }, 180_000);
});
