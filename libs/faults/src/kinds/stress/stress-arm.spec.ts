import type Docker from 'dockerode';
import { stressFaultSchema } from '@gameday/core';
import type { StepRunner } from '../../engine/step-runner';
import { planForTarget, probeTargetCgroup, StressRefusedError } from './stress-arm';
import { parseStressCheck } from './stress-verify';

const ID = 'a'.repeat(64);
const info = (running: boolean, memory = 0) =>
  ({ State: { Running: running }, HostConfig: { Memory: memory } }) as unknown as Docker.ContainerInspectInfo;
const spec = (input: Record<string, unknown>) =>
  stressFaultSchema.parse({ kind: 'stress', target: { container: 'web' }, ...input });

const runner = (stdout: string, exitCode = 0, stderr = ''): StepRunner & { calls: string[][] } => {
  const calls: string[][] = [];
  return {
    prefix: [],
    calls,
    run: async (argv) => {
      calls.push(argv);
      return { exitCode, stdout, stderr };
    },
  };
};

describe("a stress's plan for the target as inspected", () => {
  it('is refused for a target not running, or without the limit a share of it needs', () => {
    expect(() => planForTarget(spec({ cpu: { workers: 1 } }), info(false), 'web')).toThrow(
      'stress refused on web: web is not running; nothing was armed',
    );
    expect(() => planForTarget(spec({ memory: { percentOfLimit: 50 } }), info(true), 'web')).toThrow(
      StressRefusedError,
    );
    expect(planForTarget(spec({ memory: { percentOfLimit: 50 } }), info(true, 512 * 1048576), 'web')).toEqual({
      cpuWorkers: 0,
      cpuLoad: 0,
      memoryMb: 256,
      ioWorkers: 0,
      ioMb: 0,
    });
  });
});

describe("the probe of the target's cgroup through the helper", () => {
  it('asks for the container by its ID, as one argv, and takes the path and version', async () => {
    const r = runner(`cgroup_version=1\ncgroup_path=/docker/${ID}\njoined=4:memory:/docker/${ID}\n`);
    expect(await probeTargetCgroup(r, ID, 'web')).toEqual({ cgroupPath: `/docker/${ID}`, cgroupVersion: 1 });
    expect(r.calls).toEqual([['gameday-helper', 'stressprobe', ID]]);
  });

  it('refuses a target without a cgroup of its own, naming what the helper said', async () => {
    await expect(
      probeTargetCgroup(
        runner('', 1, 'gameday-helper: stressprobe: the target has no cgroup of its own (0 found)'),
        ID,
        'web',
      ),
    ).rejects.toThrow(/stress refused on web: .*no cgroup of its own \(0 found\)/);
  });

  it('refuses an answer that is not a plain path', async () => {
    await expect(probeTargetCgroup(runner('cgroup_version=2\ncgroup_path=/a b\n'), ID, 'web')).rejects.toThrow(
      StressRefusedError,
    );
  });
});

describe('the read-back', () => {
  it('parses the counts and counters, -1 for what is missing', () => {
    expect(parseStressCheck('procs=4\nin_target=4\nmemory_bytes=1048576\ncpu_ns=12\noom_kill=0\n')).toEqual({
      procs: 4,
      inTarget: 4,
      memoryBytes: 1048576,
      cpuNs: 12,
      oomKills: 0,
    });
    expect(parseStressCheck('procs=0\n').inTarget).toBe(-1);
  });
});
