import type Docker from 'dockerode';
import type { StepRunner } from '../../engine/step-runner';
import { listInPidns, pidNamespaceRefusal, ProcessKillRefusedError } from './process-kill-arm';

const info = (state: { Running: boolean }, pidMode = '') =>
  ({ State: state, HostConfig: { PidMode: pidMode } }) as unknown as Docker.ContainerInspectInfo;

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

describe("a process kill's PID namespace", () => {
  it('is the target own one (private, the default) or refused, naming why', () => {
    expect(pidNamespaceRefusal(info({ Running: true }), 'web')).toBeNull();
    expect(pidNamespaceRefusal(info({ Running: true }, 'private'), 'web')).toBeNull();
    expect(pidNamespaceRefusal(info({ Running: true }, 'host'), 'web')).toMatch(
      /^web shares the host's PID namespace \(pid: host\)/,
    );
    expect(pidNamespaceRefusal(info({ Running: true }, 'container:0123456789abcdef'), 'web')).toMatch(
      /^web shares the PID namespace of container 0123456789ab: /,
    );
    expect(pidNamespaceRefusal(info({ Running: false }), 'web')).toBe('web is not running');
    expect(pidNamespaceRefusal(null, 'web')).toBe('web is not running');
  });
});

describe('the probe through the helper (gameday-kill list)', () => {
  it("lists the processes of the name it sees beside the target's PID 1, as one argv", async () => {
    const r = runner('pid1 sleep cgroup=other\n17 worker\n23 worker\n');
    expect(await listInPidns(r, 'worker', 'web')).toEqual([
      { pid: 17, comm: 'worker' },
      { pid: 23, comm: 'worker' },
    ]);
    expect(r.calls).toEqual([['gameday-kill', 'list', 'worker']]);
  });

  it('refuses a helper alone in a PID namespace of its own (PID 1 in its own cgroup)', async () => {
    await expect(listInPidns(runner('pid1 gameday-helper cgroup=same\n'), 'worker', 'web')).rejects.toThrow(
      /process kill refused on web: the helper does not share the target's PID namespace/,
    );
  });

  it('refuses when the helper cannot read /proc', async () => {
    const err = await listInPidns(runner('', 3, 'gameday-kill: cannot read /proc/1'), 'worker', 'web').catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProcessKillRefusedError);
    expect((err as Error).message).toMatch(/exit 3: gameday-kill: cannot read \/proc\/1/);
  });
});
