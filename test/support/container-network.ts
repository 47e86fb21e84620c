import Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { execInContainer } from '@gameday/faults';
import { ensureLabTargetImage } from '../../tools/lab/lab-images';

/** A container of a test's network: its name, address on the network, and netns (SandboxKey). */
export interface NetContainer {
  id: string;
  name: string;
  ip: string;
  sandbox: string;
}

export interface ContainerNetwork<K extends string> {
  /** the network's name, also the prefix of every container name */
  prefix: string;
  containers: Record<K, NetContainer>;
  /** One HTTP GET from inside `from` to `to`'s port 80: 'ok', 'refused', 'timeout' or busybox's complaint. */
  call(from: K, to: K, timeoutSeconds?: number): Promise<string>;
}

/**
 * Lab targets (busybox httpd answering "ok" on port 80) on a user-defined network of their own,
 * for one test file: started before its tests; removed after them with any helper in their
 * netns and the network. `labels(prefix)` gives each container's labels (the prefix is unique).
 */
export function useContainerNetwork<K extends string>(
  name: string,
  labels: Record<K, (prefix: string) => Record<string, string>>,
): ContainerNetwork<K> {
  const docker = new Docker();
  const prefix = `${name}-${randomBytes(3).toString('hex')}`;
  const keys = Object.keys(labels) as K[];
  const net: ContainerNetwork<K> = {
    prefix,
    containers: {} as Record<K, NetContainer>,
    async call(from, to, timeoutSeconds = 3) {
      // busybox's own wget -T crashes (static build): its timeout applet bounds a dropped call instead
      const r = await execInContainer(docker, net.containers[from].name, [
        '/bin/busybox',
        'timeout',
        String(timeoutSeconds),
        '/bin/busybox',
        'wget',
        '-q',
        '-O',
        '-',
        `http://${net.containers[to].ip}/`,
      ]);
      if (r.exitCode === 0) return r.stdout.trim() === 'ok' ? 'ok' : `body ${r.stdout.trim()}`;
      if (/refused/i.test(r.stderr)) return 'refused';
      // killed by timeout's TERM with nothing said: the call went unanswered
      return r.exitCode === 143 || r.exitCode === 124 ? 'timeout' : r.stderr.trim() || `exit ${r.exitCode}`;
    },
  };
  beforeAll(async () => {
    await docker.ping();
    await docker.createNetwork({ Name: prefix });
    const image = await ensureLabTargetImage(docker);
    for (const key of keys) {
      const c = await docker.createContainer({
        name: `${prefix}-${key}`,
        Image: image,
        Labels: labels[key](prefix),
        HostConfig: { NetworkMode: prefix },
      });
      await c.start();
      const info = await c.inspect();
      net.containers[key] = {
        id: info.Id,
        name: `${prefix}-${key}`,
        ip: info.NetworkSettings.Networks[prefix].IPAddress,
        sandbox: info.NetworkSettings.SandboxKey,
      };
    }
  }, 600_000);
  afterAll(async () => {
    const ids = new Set(Object.values<NetContainer>(net.containers).map((c) => c.id));
    const helpers = await docker.listContainers({ all: true, filters: { label: ['gameday.role=helper'] } });
    for (const h of helpers.filter((h) => ids.has(h.Labels['gameday.target'])))
      await docker
        .getContainer(h.Id)
        .remove({ force: true })
        .catch(() => undefined);
    for (const key of keys)
      await docker
        .getContainer(`${prefix}-${key}`)
        .remove({ force: true })
        .catch(() => undefined);
    await docker
      .getNetwork(prefix)
      .remove()
      .catch(() => undefined);
  }, 120_000);
  return net;
}
