import Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { clockOffset } from '@gameday/core';
import { ensureHelperImage, HelperClient } from '@gameday/faults';

// jest applies testTimeout globally, not per project: Docker work needs more than 5 s
jest.setTimeout(60_000);
/**
 * The engine's clock is measured through the helper at arming: on one host the two clocks agree,
 * so the measured offset stays within its own uncertainty and nothing is shifted.
 */
const docker = new Docker();
const name = `gdclock-${randomBytes(3).toString('hex')}`;
let helpers: HelperClient;
let targetId: string;
let helperId: string | undefined;

beforeAll(async () => {
  await docker.ping(); // fails loudly without an engine
  helpers = new HelperClient(docker, 'clock-test', await ensureHelperImage(docker));
  const t = await docker.createContainer({
    name,
    Image: 'debian:bookworm-slim',
    Cmd: ['sleep', '600'],
    HostConfig: { Init: true },
  });
  await t.start();
  targetId = t.id;
});

afterAll(async () => {
  if (helperId) await helpers.remove(helperId);
  await docker
    .getContainer(targetId)
    .remove({ force: true })
    .catch(() => undefined);
});

it('reads the helper clock and finds it in agreement with ours on one host', async () => {
  helperId = await helpers.create({
    engine: 'clock-test',
    containerId: targetId,
    containerName: name,
    netnsId: '',
    labels: {},
  });
  const readings = await helpers.readClock(helperId, 3);
  expect(readings).toHaveLength(3);
  for (const r of readings) {
    expect(r.remoteAt).toBeGreaterThanOrEqual(r.sentAt - 5);
    expect(r.remoteAt).toBeLessThanOrEqual(r.receivedAt + 5);
  }
  const offset = clockOffset(readings);
  process.stdout.write(`helper clock offset ${offset.offsetMs} ms ± ${offset.uncertaintyMs} ms\n`);
  expect(Math.abs(offset.offsetMs)).toBeLessThanOrEqual(offset.uncertaintyMs + 5);
  expect(offset.correctionMs === 0 || Math.abs(offset.correctionMs) <= 5).toBe(true);
});
