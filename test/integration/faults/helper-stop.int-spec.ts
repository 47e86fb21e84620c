import { encodeHelperSteps } from '@gameday/faults';
import { useHelperFixture } from '../../support/helper-fixture';

/**
 * The helper is the last rollback layer: stopped in the middle of a step it still reverts, fast,
 * and restarted after a kill it reverts whatever its record says may be in place. The steps here
 * are plain files in the helper's state directory (this host's kernel has no netem; the helper
 * treats every step as an argv either way).
 */
const fx = useHelperFixture('stop');
const MARK = '/var/lib/gameday/mark';

// step 1 leaves a mark (undo removes it); step 2 takes a while (a slow kernel call)
const steps = encodeHelperSteps(
  [
    ['touch', MARK],
    ['sleep', '5'],
  ],
  [['rm', '-f', MARK], null],
);

async function markExists(id: string): Promise<boolean> {
  return (await fx.exec(id, ['test', '-e', MARK])).exitCode === 0;
}

it('reverts within about a second when stopped while a step runs, instead of waiting on its own lock', async () => {
  const id = await fx.newHelper();
  // the apply holds the helper's lock for the 5 s of its second step
  void fx.exec(id, ['gameday-helper', 'apply', String(Date.now() + 600_000), ...steps]).catch(() => undefined);
  for (let i = 0; i < 40 && !(await markExists(id)); i++) await new Promise((r) => setTimeout(r, 50));
  expect(await markExists(id)).toBe(true);
  const t0 = Date.now();
  await fx.docker.getContainer(id).stop({ t: 10 });
  const stopMs = Date.now() - t0;
  // started again only to read its record: it found nothing left to revert
  await fx.docker.getContainer(id).start();
  const st = await fx.status(id);
  process.stdout.write(`stopped mid-step in ${stopMs} ms; state ${st.state} (${st.revert_reason})\n`);
  expect(stopMs).toBeLessThan(3_000);
  expect(await markExists(id)).toBe(false);
  expect(st.state).toBe('reverted');
  expect(st.revert_reason).toBe('terminated');
});

it('reverts what its record says is applied when it is started again after a kill', async () => {
  const id = await fx.newHelper();
  const once = encodeHelperSteps([['touch', MARK]], [['rm', '-f', MARK]]);
  const r = await fx.exec(id, ['gameday-helper', 'apply', String(Date.now() + 600_000), ...once]);
  expect(r.exitCode).toBe(0);
  expect(await markExists(id)).toBe(true);
  // killed from outside: no TERM, no chance to revert; then started again (restart policy, by hand)
  await fx.docker.getContainer(id).kill({ signal: 'SIGKILL' });
  await fx.docker.getContainer(id).start();
  let st = await fx.status(id);
  for (let i = 0; i < 40 && st.state !== 'reverted'; i++) {
    await new Promise((r2) => setTimeout(r2, 50));
    st = await fx.status(id);
  }
  expect(st.state).toBe('reverted');
  expect(st.revert_reason).toBe('restarted');
  expect(await markExists(id)).toBe(false);
});
