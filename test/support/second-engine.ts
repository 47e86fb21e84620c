import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync, closeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { processAlive } from '../../tools/lab/processes';

/**
 * A second Docker Engine beside the host's, for tests of N workers serving M engines. Two traps
 * (checked on these machines): it needs a bridge of its own (`--bridge none` would delete the first
 * engine's docker0), and its own /etc/docker (Docker 20.10 derives the daemon ID from key.json, so
 * two daemons sharing it report the same ID): a private tmpfs there, in a mount namespace of its
 * own, gives it one.
 */
export interface SecondEngine {
  /** DOCKER_HOST of the engine (unix socket) */
  host: string;
  docker: Docker;
  /** daemon ID, as `docker info` reports it (different from the first engine's) */
  id: string;
  /** the engine's log, for a failing test's message */
  log(): string;
  stop(): Promise<void>;
}

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });

export async function startSecondEngine(): Promise<SecondEngine> {
  const tag = randomBytes(3).toString('hex');
  const dir = `/var/lib/gameday-test-engine-${tag}`;
  const bridge = `gdtbr${tag}`;
  // a /24 unlikely to be in use here: 172.29.<1..250>.0
  const subnet = 1 + (parseInt(tag.slice(0, 2), 16) % 250);
  mkdirSync(`${dir}/data`, { recursive: true });
  mkdirSync(`${dir}/exec`, { recursive: true });
  sh('ip', ['link', 'add', bridge, 'type', 'bridge']);
  sh('ip', ['addr', 'add', `172.29.${subnet}.1/24`, 'dev', bridge]);
  sh('ip', ['link', 'set', bridge, 'up']);
  const socket = `${dir}/docker.sock`;
  const logPath = `${dir}/dockerd.log`;
  const logFd = openSync(logPath, 'a');
  const child = spawn(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount -t tmpfs tmpfs /etc/docker && exec "$@"',
      'sh',
      'dockerd',
      '-H',
      `unix://${socket}`,
      '--data-root',
      `${dir}/data`,
      '--exec-root',
      `${dir}/exec`,
      '--pidfile',
      `${dir}/docker.pid`,
      '--iptables=false',
      '--ip6tables=false',
      '--bridge',
      bridge,
    ],
    { detached: true, stdio: ['ignore', logFd, logFd] },
  );
  closeSync(logFd);
  const log = () => readFileSync(logPath, 'utf8').split('\n').slice(-30).join('\n');
  const docker = new Docker({ socketPath: socket });

  const stop = async () => {
    for (const c of await docker.listContainers({ all: true }).catch(() => []))
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
    if (child.pid && processAlive(child.pid)) {
      process.kill(child.pid, 'SIGTERM');
      for (let i = 0; i < 150 && processAlive(child.pid); i++) await new Promise((r) => setTimeout(r, 100));
      if (processAlive(child.pid)) process.kill(child.pid, 'SIGKILL');
    }
    try {
      sh('ip', ['link', 'del', bridge]);
    } catch {
      // already gone
    }
    // its mounts lived in its own mount namespace and went with it
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await docker.ping();
      break;
    } catch {
      if (child.exitCode !== null || Date.now() > deadline) {
        await stop();
        throw new Error(`the second dockerd did not come up (exit ${child.exitCode}):\n${log()}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const id = (await docker.info()).ID as string;
  return { host: `unix://${socket}`, docker, id, log, stop };
}
