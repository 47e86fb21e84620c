import Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import { ensureLabTargetImage } from '../../tools/lab/lab-images';
import type { Stack } from './stack.fixture';

export const docker = new Docker();

export interface HttpTarget {
  name: string;
  url: string;
}

/** Starts an opted-in HTTP target (busybox httpd) on the default bridge; returns its name and URL. */
export async function startTarget(prefix: string): Promise<HttpTarget> {
  const image = await ensureLabTargetImage(docker);
  const name = `${prefix}-${randomUUID().slice(0, 8)}`;
  const c = await docker.createContainer({ name, Image: image, Labels: { 'gameday.enabled': 'true' } });
  await c.start();
  const ip = (await c.inspect()).NetworkSettings.Networks.bridge.IPAddress;
  return { name, url: `http://${ip}/` };
}

/** Removes the containers (unpaused first: a paused one may hold its removal up), whatever state they are in. */
export async function removeContainers(names: string[]): Promise<void> {
  for (const name of names) {
    const c = docker.getContainer(name);
    await c.unpause().catch(() => undefined);
    await c.remove({ force: true }).catch(() => undefined);
  }
}

/**
 * A target for the file's tests, started before them and removed with the stack (before its
 * workers close, so a fault still on it is not left to them). Read it inside a test.
 */
export function useTarget(stack: Stack, prefix: string): HttpTarget {
  const target: HttpTarget = { name: '', url: '' };
  beforeAll(async () => {
    Object.assign(target, await startTarget(prefix));
  });
  stack.beforeClose(() => removeContainers(target.name ? [target.name] : []));
  return target;
}
