// Lab tier: the process-kill kind on Docker inside user-mode-linux, whose guest mounts cgroup v2
// (the host engine of the integration tier runs cgroup v1): the helper shares the target's PID
// namespace and must tell the target's processes from its own by /proc/PID/cgroup there too. The
// target serves HTTP on port 80 from an `httpd` that a loop starts again a second after it dies;
// the helper gets the plan (SIGKILL every `httpd` at T0 and every 2 s until T1) and nothing of ours
// acts afterwards: from the host, port 80 must stop answering from T0, and answer steadily from a
// little after T1 (no round after it).
import http from 'node:http';
import Docker from 'dockerode';
import {
  faultSchema,
  InMemoryLeaseRepository,
  parseKillRecord,
  type PreparedFault,
  type ProcessKillFaultSpec,
} from '@gameday/core';
import { DockerFaultDriver, ensureHelperImage, execInContainer, processKillDryRun } from '@gameday/faults';
import { LeaseLedger } from '../../apps/worker/src/runner/lease-ledger';
import { ensureLabTargetImage } from '../../tools/lab/lab-images';
import { describePace, measurePace, QUICK_PACE, scheduleLeadMs, type LabPace } from '../../tools/lab/lab-pace';
import { releaseLab, sharedUmlDocker, UnreleasedHelpers } from '../../tools/lab/shared-lab';
import type { UmlDocker } from '../../tools/lab/uml-docker';

const TARGET = 'lab-pk-target';
const PORT = 8092;
const EVERY_MS = 2_000;
// gameday-kill holds the window on absolute timers in the guest: no process created at the instant
const LATE_LIMIT_MS = 1_000;
// busybox runs the applet its file is named after, and /proc/PID/comm is that name: the respawned
// server is an `httpd` while PID 1 (a busybox `sleep`) is a `busybox`
const SCRIPT =
  'mkdir -p /tmp && cp /bin/busybox /tmp/httpd && ' +
  '(while :; do /tmp/httpd -f -p 80 -h /www; /bin/busybox sleep 1; done) & exec /bin/busybox sleep 100000';

describe('process kill on a real kernel with cgroup v2: Docker inside user-mode-linux', () => {
  let lab: UmlDocker | undefined;
  /** the guest's speed when the file starts: what a schedule handed to a helper waits for */
  let pace: LabPace = QUICK_PACE;
  const created: string[] = [];
  const unreleased = new UnreleasedHelpers<PreparedFault>();
  const ledger = new LeaseLedger(new InMemoryLeaseRepository());

  const get = (timeoutMs = 1_000): Promise<string> =>
    new Promise((resolve) => {
      const req = http.get({ host: lab!.host, port: PORT, path: '/', timeout: timeoutMs, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200 ? 'ok' : `status ${res.statusCode}`));
      });
      req.on('timeout', () => {
        req.destroy();
        resolve('timeout');
      });
      req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });

  beforeAll(async () => {
    const hostDocker = new Docker();
    const images = [await ensureLabTargetImage(hostDocker), await ensureHelperImage(hostDocker)];
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
      Cmd: ['sh', '-c', SCRIPT],
      Labels: { 'gameday.enabled': 'true' },
      ExposedPorts: { '80/tcp': {} },
      HostConfig: { PortBindings: { '80/tcp': [{ HostIp: lab.host, HostPort: String(PORT) }] } },
    });
    created.push(target.id);
    await target.start();
    let seen = '';
    for (let i = 0; i < 60 && seen !== 'ok'; i++) {
      seen = await get();
      if (seen !== 'ok') await new Promise((r) => setTimeout(r, 500));
    }
    expect(seen).toBe('ok');
  }, 300_000);

  afterAll(async () => {
    await unreleased.releaseAll();
    // nothing of this file stays in the (shared) engine: target removed, no helper left
    if (lab) expect(await releaseLab(lab, created)).toEqual([]);
  }, 60_000);

  it('kills the target’s httpd at T0 and every 2 s until T1 by the helper’s clock; nothing after T1', async () => {
    const driver = new DockerFaultDriver(lab!.docker, {
      helperImage: await ensureHelperImage(new Docker()),
      engine: `tcp://${lab!.host}:${lab!.port}`,
    });
    const spec = faultSchema.parse({
      kind: 'process-kill',
      target: { container: TARGET },
      process: 'httpd',
      signal: 'KILL',
      every: `${EVERY_MS / 1000}s`,
    }) as ProcessKillFaultSpec;
    const { targets } = await driver.resolveTargets(spec);
    // the dry run, as the helper will see it: the httpd, not PID 1, nothing of the helper's
    const plan = await driver.dryRun(spec);
    expect(processKillDryRun(plan.targets[0]).processes?.map((p) => p.comm)).toEqual(['httpd']);
    const armStarted = Date.now();
    const prepared = await driver.prepare(spec, targets[0], { expiresAt: new Date(Date.now() + 120_000) });
    process.stdout.write(
      `process kill armed (helper in the PID namespace, probe, clock) in ${Date.now() - armStarted} ms\n`,
    );
    unreleased.track(prepared, driver);
    try {
      const t0 = Date.now() + scheduleLeadMs(pace);
      const t1 = t0 + 5_000;
      const lease = await ledger.schedule(driver, prepared, { applyAt: new Date(t0), revertAt: new Date(t1) });
      expect(await get()).toBe('ok');
      let down: number | undefined;
      let lastDown: number | undefined;
      while (Date.now() < t1 + 4_000) {
        const started = Date.now();
        const r = await get(500);
        // a killed server refuses (or resets a request it was answering); a slow answer is the
        // one-vCPU guest busy (once 3 s before T0, beside the other lab lane), not a kill
        if (r === 'ECONNREFUSED' || r === 'ECONNRESET') {
          down ??= started;
          lastDown = started;
        }
        await new Promise((res) => setTimeout(res, 20));
      }
      const timeline = await ledger.readTimeline(driver, lease);
      const record = parseKillRecord(
        (await execInContainer(lab!.docker, prepared.helperContainerId!, ['gameday-helper', 'kills'])).stdout,
      );
      const kills = record.filter((e) => e.type === 'kill');
      const shift = prepared.clockOffset?.correctionMs ?? 0;
      process.stdout.write(
        `process kill in the lab: port 80 down from ${down! - t0} ms after T0, last seen down ${lastDown! - t1} ms after T1; ` +
          `helper: applied ${timeline.appliedAt!.getTime() - t0} ms after T0, signals at ${kills.map((k) => k.at - shift - t0).join(', ')} ms after T0, ended ${timeline.revertedAt ? `${timeline.revertedAt.getTime() - t1} ms after T1` : '-'}\n`,
      );
      // only the target's httpd was signalled, each round by the helper's clock, none after T1
      expect(kills.length).toBeGreaterThanOrEqual(2);
      expect(kills.every((k) => k.comm === 'httpd' && k.result === 'ok' && k.signal === 'KILL')).toBe(true);
      expect(kills.every((k) => k.at - shift < t1)).toBe(true);
      expect(kills[0].at - shift - t0).toBeLessThan(LATE_LIMIT_MS);
      expect(down).toBeGreaterThanOrEqual(t0 - 50);
      expect(down! - t0).toBeLessThan(LATE_LIMIT_MS);
      // after T1 the respawned server answers (1 s respawn pause, then steady)
      expect(lastDown! - t1).toBeLessThan(2_500);
      expect(await get()).toBe('ok');
      expect(timeline).toMatchObject({ state: 'reverted', revertReason: 'scheduled' });
      expect((await ledger.revert(driver, lease, 'lab')).outcome).toBe('already_gone');
      expect((await lab!.docker.getContainer(TARGET).inspect()).State.Running).toBe(true);
    } finally {
      await driver.release(prepared);
      unreleased.done(prepared);
    }
  }, 180_000);
});
