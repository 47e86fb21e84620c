import Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { faultSchema, type RefusedCandidate } from '@gameday/core';
import { TargetResolver } from '@gameday/faults';

/**
 * Refusal rules hold for a network namespace's owner too, on a real engine: an opted-in container
 * that joined a namespace (`--network container:X`) is refused when X may not be faulted, and a
 * privileged container is refused unless the GameDay allows it.
 */
const docker = new Docker();
const P = `gdiso-${randomBytes(3).toString('hex')}`;
const created: string[] = [];
const resolver = new TargetResolver(docker, 'isolation-test');

async function run(
  name: string,
  labels: Record<string, string>,
  hostConfig: Docker.HostConfig = {},
  start = true,
): Promise<string> {
  const c = await docker.createContainer({
    name: `${P}-${name}`,
    Image: 'debian:bookworm-slim',
    Cmd: ['sleep', '600'],
    Labels: labels,
    HostConfig: { Init: true, ...hostConfig },
  });
  created.push(c.id);
  if (start) await c.start();
  return c.id;
}

async function refusedOf(name: string, extra: Record<string, unknown> = {}): Promise<RefusedCandidate[]> {
  const spec = faultSchema.parse({
    kind: 'network',
    target: { container: `${P}-${name}`, ...extra },
    netem: { delay: '100ms' },
  });
  return resolver.resolve(spec).then(
    (r) => r.refused,
    (e: { refused?: RefusedCandidate[] }) => e.refused ?? Promise.reject(e),
  );
}

const optIn = { 'gameday.enabled': 'true' };

beforeAll(async () => {
  await docker.ping(); // fails loudly without an engine
  const quiet = await run('not-opted-in', {});
  await run('joins-not-opted-in', optIn, { NetworkMode: `container:${quiet}` });
  const host = await run('host-net', optIn, { NetworkMode: 'host' });
  await run('joins-host', optIn, { NetworkMode: `container:${host}` });
  const own = await run('own', { 'gameday.role': 'worker' });
  await run('joins-own', optIn, { NetworkMode: `container:${own}` });
  // created only: this sandbox cannot start privileged containers, and the rule does not need it
  await run('privileged', optIn, { Privileged: true }, false);
  const ok = await run('owner-ok', optIn);
  await run('joins-ok', optIn, { NetworkMode: `container:${ok}` });
});

afterAll(async () => {
  for (const id of created.reverse())
    await docker
      .getContainer(id)
      .remove({ force: true })
      .catch(() => undefined);
});

it.each([
  ['joins-not-opted-in', /not-opted-in has not opted in/],
  ['joins-host', /host-net .*uses the host network/],
  ['joins-own', /own belongs to the GameDay service/],
])('refuses %s: its namespace owner may not be faulted', async (name, message) => {
  const refused = await refusedOf(name);
  expect(refused).toEqual([
    expect.objectContaining({ reason: 'netns_owner_refused', message: expect.stringMatching(message) }),
  ]);
});

it('refuses a privileged container unless the GameDay allows it', async () => {
  expect((await refusedOf('privileged')).map((r) => r.reason)).toEqual(['privileged']);
  // allowed: the privileged rule no longer applies (this one is then refused only for not running)
  expect((await refusedOf('privileged', { allowPrivileged: true })).map((r) => r.reason)).toEqual(['not_running']);
});

it("accepts a container that joined an opted-in owner, keyed by the owner's namespace", async () => {
  const r = await resolver.resolve(
    faultSchema.parse({ kind: 'network', target: { container: `${P}-joins-ok` }, netem: { delay: '100ms' } }),
  );
  const owner = await docker.getContainer(`${P}-owner-ok`).inspect();
  expect(r.targets).toHaveLength(1);
  expect(r.targets[0].netnsId).toBe(owner.NetworkSettings.SandboxKey);
});
