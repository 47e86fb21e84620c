import Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { encodeHelperSteps, ensureHelperImage, execInContainer, HelperClient } from '@gameday/faults';

// jest applies testTimeout globally, not per project: Docker work needs more than 5 s
jest.setTimeout(60_000);
/**
 * The helper is the last rollback layer: stopped in the middle of a step it still reverts, fast,
 * and restarted after a kill it reverts whatever its record says may be in place. The steps here
 * are plain files in the helper's state directory (this host's kernel has no netem; the helper
 * treats every step as an argv either way).
 */
const docker = new Docker();
const name = `gdstop-${randomBytes(3).toString('hex')}`;
let helpers: HelperClient;
let targetId: string;
const helpersCreated: string[] = [];
const MARK = '/var/lib/gameday/mark';

// step 1 leaves a mark (undo removes it); step 2 takes a while (a slow kernel call)
const steps = encodeHelperSteps(
  [
    ['touch', MARK],
    ['sleep', '5'],
  ],
  [['rm', '-f', MARK], null],
);

async function newHelper(): Promise<string> {
  const id = await helpers.create({
    engine: 'stop-test',
    containerId: targetId,
    containerName: name,
    netnsId: '',
    labels: {},
  });
  helpersCreated.push(id);
  return id;
}

async function statusOf(id: string): Promise<Record<string, string>> {
  const r = await execInContainer(docker, id, ['gameday-helper', 'status']);
  return Object.fromEntries(
    r.stdout
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]),
  );
}

async function markExists(id: string): Promise<boolean> {
  return (await execInContainer(docker, id, ['test', '-e', MARK])).exitCode === 0;
}

beforeAll(async () => {
  await docker.ping(); // fails loudly without an engine
  helpers = new HelperClient(docker, 'stop-test', await ensureHelperImage(docker));
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
  for (const id of helpersCreated)
    await docker
      .getContainer(id)
      .remove({ force: true })
      .catch(() => undefined);
  await docker
    .getContainer(targetId)
    .remove({ force: true })
    .catch(() => undefined);
});

it('reverts within about a second when stopped while a step runs, instead of waiting on its own lock', async () => {
  const id = await newHelper();
  // the apply holds the helper's lock for the 5 s of its second step
  void execInContainer(docker, id, ['gameday-helper', 'apply', String(Date.now() + 600_000), ...steps]).catch(
    () => undefined,
  );
  for (let i = 0; i < 40 && !(await markExists(id)); i++) await new Promise((r) => setTimeout(r, 50));
  expect(await markExists(id)).toBe(true);
  const t0 = Date.now();
  await docker.getContainer(id).stop({ t: 10 });
  const stopMs = Date.now() - t0;
  // started again only to read its record: it found nothing left to revert
  await docker.getContainer(id).start();
  const st = await statusOf(id);
  process.stdout.write(`stopped mid-step in ${stopMs} ms; state ${st.state} (${st.revert_reason})\n`);
  expect(stopMs).toBeLessThan(3_000);
  expect(await markExists(id)).toBe(false);
  expect(st.state).toBe('reverted');
  expect(st.revert_reason).toBe('terminated');
});

it('reverts what its record says is applied when it is started again after a kill', async () => {
  const id = await newHelper();
  const once = encodeHelperSteps([['touch', MARK]], [['rm', '-f', MARK]]);
  const r = await execInContainer(docker, id, ['gameday-helper', 'apply', String(Date.now() + 600_000), ...once]);
  expect(r.exitCode).toBe(0);
  expect(await markExists(id)).toBe(true);
  // killed from outside: no TERM, no chance to revert; then started again (restart policy, by hand)
  await docker.getContainer(id).kill({ signal: 'SIGKILL' });
  await docker.getContainer(id).start();
  let st = await statusOf(id);
  for (let i = 0; i < 40 && st.state !== 'reverted'; i++) {
    await new Promise((r2) => setTimeout(r2, 50));
    st = await statusOf(id);
  }
  expect(st.state).toBe('reverted');
  expect(st.revert_reason).toBe('restarted');
  expect(await markExists(id)).toBe(false);
});
