import { existsSync, readdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import Docker from 'dockerode';
import { runEnded, waitFor } from '../../support/harness';
import { useContainerNetwork } from '../../support/container-network';
import { useStack } from '../../support/stack.fixture';

// A disk-fill run through the API, the real worker and the host's Docker Engine: armed ahead, the
// file in the target's writable layer during the window only (seen from the host through the
// target's /proc/PID/root), the lease reverted and nothing left, the verdict held.
jest.setTimeout(90_000);

describe('a disk-fill run end to end (worker + API + Docker)', () => {
  const stack = useStack({ name: 'disk-fill-run', worker: 'real' });
  const { prisma } = stack;
  const net = useContainerNetwork('gddfr', { a: () => ({}) });
  const docker = new Docker();

  it('creates the file in the window only, verifies it, reverts the lease and leaves nothing', async () => {
    const { a } = net.containers;
    const root = `/proc/${(await docker.getContainer(a.id).inspect()).State.Pid}/root/www`;
    const ours = () => readdirSync(root).filter((f) => f.startsWith('.gameday-fill-'));
    const runId = await stack.runNow({
      name: `disk-fill-run-${randomUUID()}`,
      timezone: 'UTC',
      schedule: { at: new Date(Date.now() + 60 * 60_000).toISOString() },
      experiments: [
        {
          name: 'a with 8 MB more on its disk',
          hypothesis: {
            description: 'a keeps answering while its disk holds 8 MB more',
            probes: [{ name: 'a', url: `http://${a.ip}/`, timeoutMs: 500, interval: '100ms' }],
            tolerances: { fault: { maxErrorRate: 0.1 }, recovery: { maxErrorRate: 0.1 } },
          },
          fault: { kind: 'disk-fill', target: { container: a.name }, path: '/www', size: { mb: 8 } },
          // the disk fill's helper and its probe: 6 s on a loaded host
          durations: { arming: '6s', baseline: '2s', fault: '4s', recovery: '2s' },
        },
      ],
    });
    const file = await waitFor('the fill file', async () => ours()[0], 30_000, 20);
    expect(existsSync(`${root}/${file}`)).toBe(true);
    const run = await runEnded(prisma, runId);
    expect({ status: run.status, error: run.error, verdict: run.verdict }).toEqual({
      status: 'completed',
      error: null,
      verdict: 'hypothesis_held',
    });
    expect(ours()).toEqual([]);
    const leases = await prisma.activeFault.findMany({ where: { runId } });
    expect(leases.map((l) => ({ kind: l.kind, reverted: l.revertedAt !== null, argv: l.revertArgv }))).toEqual([
      {
        kind: 'disk-fill',
        reverted: true,
        argv: [['gameday-fill', 'rm', '/www', file.slice('.gameday-fill-'.length)]],
      },
    ]);
    const types = run.events.map((e) => e.type);
    expect(types).toContain('fault.armed');
    expect(types.filter((t) => /fail|lost|unverified/.test(t))).toEqual([]);
    // applied by the helper's clock and read back as intended (no "verification failed")
    const applied = run.events.find((e) => e.type === 'fault.applied')!;
    console.log(`disk-fill run: ${applied.message}`);
    expect(applied.message).toMatch(/^applied on .* -?\d+ ms after the planned instant$/);
    // the helper is gone with the run
    const helpers = await docker.listContainers({ all: true, filters: { label: [`gameday.target=${a.id}`] } });
    expect(helpers).toEqual([]);
  });
});
