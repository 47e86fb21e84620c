// Lab tier: the stress kind on Docker inside user-mode-linux, whose guest mounts cgroup v2 (the host
// engine of the integration tier runs cgroup v1): stress-ng must land in the target's own cgroup, a
// leaf with processes of its own (where a child cgroup with controllers is refused), by the
// helper's clock. The guest's cgroup counters of the target (cpu.stat usage_usec, memory.current)
// are read through the helper's `stresscheck`, which reads the target's cgroup files, never the
// target; nothing of ours acts after T1. The window is long: an exec into the guest takes seconds
// while the host is busy.
import Docker from 'dockerode';
import { faultSchema, InMemoryLeaseRepository, type StressFaultSpec } from '@gameday/core';
import {
  DockerFaultDriver,
  ensureHelperImage,
  ensureStressImage,
  execInContainer,
  parseKeyValues,
  parseStressCheck,
  stressArmed,
} from '@gameday/faults';
import { LeaseLedger } from '../../apps/worker/src/runner/lease-ledger';
import { ensureLabTargetImage } from '../../tools/lab/lab-images';
import { describePace, measurePace, QUICK_PACE, scheduleLeadMs, type LabPace } from '../../tools/lab/lab-pace';
import { releaseLab, sharedUmlDocker } from '../../tools/lab/shared-lab';
import type { UmlDocker } from '../../tools/lab/uml-docker';

const TARGET = 'lab-stress-target';
const MB = 1048576;

describe('stress on a real kernel with cgroup v2: Docker inside user-mode-linux', () => {
  let lab: UmlDocker | undefined;
  /** the guest's speed when the file starts: what a schedule handed to a helper waits for */
  let pace: LabPace = QUICK_PACE;
  let helperImage: string;
  const created: string[] = [];
  const ledger = new LeaseLedger(new InMemoryLeaseRepository());

  beforeAll(async () => {
    const hostDocker = new Docker();
    helperImage = await ensureHelperImage(hostDocker);
    const images = [
      await ensureLabTargetImage(hostDocker),
      helperImage,
      await ensureStressImage(hostDocker, helperImage),
    ];
    lab = await sharedUmlDocker(images, hostDocker);
    pace = await measurePace(lab.docker);
    process.stdout.write(`${describePace(pace)}\n`);
    await lab.docker
      .getContainer(TARGET)
      .remove({ force: true })
      .catch(() => undefined);
    const target = await lab.docker.createContainer({
      name: TARGET,
      Image: images[0],
      Cmd: ['/bin/busybox', 'sleep', '100000'],
      Labels: { 'gameday.enabled': 'true' },
      HostConfig: { Memory: 128 * MB },
    });
    created.push(target.id);
    await target.start();
  }, 600_000);

  afterAll(async () => {
    // nothing of this file stays in the (shared) engine: target removed, no helper left
    if (lab) expect(await releaseLab(lab, created)).toEqual([]);
  }, 60_000);

  it("1 CPU worker at 50 % and 32 MB in the target's cgroup from T0 to T1 by the helper's clock; nothing after", async () => {
    const docker = lab!.docker;
    const driver = new DockerFaultDriver(docker, { helperImage, engine: `tcp://${lab!.host}:${lab!.port}` });
    const spec = faultSchema.parse({
      kind: 'stress',
      target: { container: TARGET },
      cpu: { workers: 1, load: 50 },
      memory: { mb: 32 },
    }) as StressFaultSpec;
    const { targets } = await driver.resolveTargets(spec);
    const armStarted = Date.now();
    const prepared = await driver.prepare(spec, targets[0], { expiresAt: new Date(Date.now() + 120_000) });
    process.stdout.write(`stress armed (helper, cgroup probe, clock) in ${Date.now() - armStarted} ms\n`);
    const helper = prepared.helperContainerId!;
    const said = async (argv: string[]) => (await execInContainer(docker, helper, argv)).stdout;
    // each exec into the guest costs 0.3 s quiet and seconds on a busy host: two looks 4 s apart
    // (by the guest's clock) are taken in one exec, so the interval is the guest's own
    const twoLooks = async () => {
      const out = await said([
        'sh',
        '-c',
        'date +at=%s%3N; gameday-helper stresscheck; sleep 4; echo --; date +at=%s%3N; gameday-helper stresscheck; ps -o pid,comm',
      ]);
      const [first, second] = out.split('\n--\n');
      process.stdout.write(`two looks: ${out.replace(/\n/g, ' ')}\n`);
      const at = (text: string) => Number(parseKeyValues(text).at);
      return { a: parseStressCheck(first), b: parseStressCheck(second), ms: at(second) - at(first) };
    };
    const check = async () => parseStressCheck(await said(['gameday-helper', 'stresscheck']));
    try {
      // the guest's cgroup v2: the target's own leaf, found by its ID
      expect(stressArmed(prepared)).toMatchObject({
        cgroupVersion: 2,
        cgroupPath: expect.stringContaining(targets[0].containerId),
      });
      const t0 = Date.now() + Math.max(15_000, scheduleLeadMs(pace));
      const t1 = t0 + 30_000;
      const lease = await ledger.schedule(driver, prepared, { applyAt: new Date(t0), revertAt: new Date(t1) });
      const idle = await check();
      expect(idle.procs).toBe(0);
      await new Promise((r) => setTimeout(r, t0 + 3_000 - Date.now()));
      const { a, b, ms } = await twoLooks();
      const cpus = (b.cpuNs - a.cpuNs) / 1e6 / ms;
      const verified = await driver.verify(lease);
      const verifiedAt = Date.now();
      await new Promise((r) => setTimeout(r, t1 + 3_000 - Date.now()));
      const after = await check();
      const timeline = await ledger.readTimeline(driver, lease);
      const status = parseKeyValues(await said(['gameday-helper', 'status']));
      process.stdout.write(
        `stress in the lab (cgroup v2): ${b.procs} stress-ng processes, ${b.inTarget} in the target's cgroup; ` +
          `${cpus.toFixed(3)} CPUs by cpu.stat over ${ms} ms; memory.current ${(idle.memoryBytes / MB).toFixed(1)} -> ${(b.memoryBytes / MB).toFixed(1)} -> ${(after.memoryBytes / MB).toFixed(1)} MB; ` +
          `verified ${verifiedAt - t0} ms after T0; helper: applied ${timeline.appliedAt!.getTime() - t0} ms after T0, ended ${timeline.revertedAt ? `${timeline.revertedAt.getTime() - t1} ms after T1` : '-'} (${status.stress_end_reason})\n`,
      );
      expect(verifiedAt).toBeLessThan(t1);
      expect(verified).toEqual({ ok: true });
      expect(b.procs).toBeGreaterThanOrEqual(3);
      expect(b.inTarget).toBe(b.procs);
      // one slow virtual CPU shared with the engine: the load is judged loosely here
      expect(cpus).toBeGreaterThan(0.2);
      expect(cpus).toBeLessThan(0.75);
      expect(b.memoryBytes - idle.memoryBytes).toBeGreaterThan(30 * MB);
      expect(after.procs).toBe(0);
      expect(after.memoryBytes - idle.memoryBytes).toBeLessThan(4 * MB);
      expect(timeline).toMatchObject({ state: 'reverted', revertReason: 'scheduled' });
      expect((await ledger.revert(driver, lease, 'lab')).outcome).toBe('already_gone');
      expect((await docker.getContainer(TARGET).inspect()).State.Running).toBe(true);
    } finally {
      await driver.release(prepared);
    }
  }, 300_000);
});
