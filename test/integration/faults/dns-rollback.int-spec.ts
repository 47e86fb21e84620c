import { dnsArmed, execInContainer } from '@gameday/faults';
import { useDnsLab } from '../../support/dns-lab';
import { waitFor } from '../../support/harness';
import { expireLeases, sweepOnce } from '../../support/lease-reaper';

/**
 * The dns kind's read-back and rollback on the host's real Docker Engine (test/support/dns-lab.ts):
 * verify names what is missing, a client that keeps its UDP socket is caught at T0 and let go
 * after T1, an abort on stdin, the reaper from the ledger alone.
 */
const lab = useDnsLab('gddnsr');
const { A, B, docker, prisma, leases, ledger, ips, spec, run, lookupTimed, natTable, udpClient, resolversIn } = lab;

it('verify names what is missing: our jump removed by someone else, then the resolver killed', async () => {
  const before = await natTable();
  const prepared = await lab.driver.prepare(spec({ action: 'nxdomain' }), lab.target, {
    expiresAt: new Date(Date.now() + 60_000),
  });
  const lease = await ledger.apply(lab.driver, prepared);
  const chain = dnsArmed(prepared).expected.chain;
  const jump = ['-m', 'comment', '--comment', `gameday:${dnsArmed(prepared).id}`, '-j', chain];
  const nft = (...w: string[]) =>
    run(['nsenter', `--net=${lab.sandbox}`, '--', 'iptables-nft', '-w', '-t', 'nat', ...w], 5_000);
  try {
    expect(await lab.driver.verify(lease)).toEqual({ ok: true });
    await nft('-D', 'OUTPUT', ...jump);
    expect(await lab.driver.verify(lease)).toEqual({
      ok: false,
      reasons: [`missing: -A OUTPUT -m comment --comment gameday:${dnsArmed(prepared).id} -j ${chain}`],
    });
    expect((await lookupTimed(A)).answer).toBe(ips[A]);
    await nft('-I', 'OUTPUT', '1', ...jump);
    expect(await lab.driver.verify(lease)).toEqual({ ok: true });
    const pid = (
      await execInContainer(docker, prepared.helperContainerId!, ['cat', '/var/lib/gameday/dns/pid'])
    ).stdout.trim();
    await execInContainer(docker, prepared.helperContainerId!, ['kill', '-9', pid]);
    await waitFor(
      'the resolver to be gone',
      async () => (await resolversIn(prepared.helperContainerId!)) === 0,
      5_000,
      50,
    );
    expect(await lab.driver.verify(lease)).toEqual({ ok: false, reasons: ['the resolver is not running'] });
  } finally {
    expect((await ledger.revert(lab.driver, lease, 'planned_end')).outcome).toBe('reverted');
  }
  expect(await natTable()).toBe(before);
  expect((await lookupTimed(A)).answer).toBe(ips[A]);
  await lab.driver.release(prepared);
}, 30_000);

it('a client that keeps its UDP socket is redirected from T0 and let go after T1 (its tracked flow is dropped at both)', async () => {
  const before = await natTable();
  const prepared = await lab.driver.prepare(spec({ action: 'nxdomain' }), lab.target, {
    expiresAt: new Date(Date.now() + 60_000),
  });
  // T0 far enough out that the client (a python start in the target's netns) has answers before it
  // on a loaded host: with 1.5 s, the schedule and the start took all of it once in CI
  const t0 = Date.now() + 4_000;
  const t1 = t0 + 2_000;
  const lease = await ledger.schedule(lab.driver, prepared, { applyAt: new Date(t0), revertAt: new Date(t1) });
  const answers = await udpClient(A, 100, t1 + 1_500 - Date.now());
  const phase = (from: number, to: number) => [
    ...new Set(answers.filter((a) => a.at >= from && a.at < to).map((a) => a.answer)),
  ];
  // one socket throughout: the answers before T0 came from Docker, those of the window from the
  // resolver (the flow tracked before T0 was dropped), those after T1 from Docker again
  expect(phase(0, t0 - 100)).toEqual(['noerror 1']);
  // from the helper's record of when the batch was in and out (the flows are dropped a process start later)
  const { appliedAt, revertedAt } = await ledger.readTimeline(lab.driver, lease);
  console.log(
    `dns one socket: applied ${appliedAt!.getTime() - t0} ms after T0, reverted ${revertedAt!.getTime() - t1} ms after T1`,
  );
  expect(phase(appliedAt!.getTime() + 150, t1 - 100)).toEqual(['nxdomain 0']);
  expect(phase(revertedAt!.getTime() + 150, Infinity)).toEqual(['noerror 1']);
  expect(await natTable()).toBe(before);
  expect((await ledger.revert(lab.driver, lease, 'planned_end')).outcome).toBe('already_gone');
  await lab.driver.release(prepared);
}, 30_000);

it('an abort on stdin before T1 undoes it at once', async () => {
  const before = await natTable();
  const prepared = await lab.driver.prepare(spec({ action: 'nxdomain' }), lab.target, {
    expiresAt: new Date(Date.now() + 60_000),
  });
  const t0 = Date.now() + 1_500;
  const lease = await ledger.schedule(lab.driver, prepared, { applyAt: new Date(t0), revertAt: new Date(t0 + 30_000) });
  await waitFor('svc-a to fail', async () => (await lookupTimed(A)).answer === 'nxdomain', 5_000, 20);
  // an abort while the helper still runs its step after the block (the conntrack flush) is taken
  // as one before T0: undone all the same, but recorded as cancelled (a known gap): abort once the
  // helper's record says applied
  await waitFor(
    'the helper to record the apply',
    async () => (await ledger.readTimeline(lab.driver, lease)).state === 'applied',
    5_000,
    20,
  );
  const asked = Date.now();
  const r = await ledger.revert(lab.driver, lease, 'abort');
  if (r.outcome !== 'reverted')
    // what the helper recorded, for the failure below
    console.log((await execInContainer(docker, prepared.helperContainerId!, ['gameday-helper', 'status'])).stdout);
  expect(r).toMatchObject({ outcome: 'reverted', abortPath: 'stdin' });
  console.log(`dns abort by stdin: reverted in ${Date.now() - asked} ms (the revert call, confirmation included)`);
  expect((await lookupTimed(A)).answer).toBe(ips[A]);
  expect(await natTable()).toBe(before);
  expect(await resolversIn(prepared.helperContainerId!)).toBe(0);
  await lab.driver.release(prepared);
}, 30_000);

it('the reaper reverts from the lease alone when the helper is gone (removed without its TERM revert)', async () => {
  const before = await natTable();
  const prepared = await lab.driver.prepare(spec({ action: 'nxdomain' }), lab.target, {
    expiresAt: new Date(Date.now() + 60_000),
  });
  const lease = await ledger.apply(lab.driver, prepared);
  expect((await lookupTimed(A)).answer).toBe('nxdomain');
  // docker rm -f skips the helper's stop handler: the resolver dies with it, the rules stay and
  // send every query to a port nobody listens on
  await docker.getContainer(prepared.helperContainerId!).remove({ force: true });
  expect((await lookupTimed(B)).answer).not.toBe(ips[B]);
  await expireLeases(prisma, [lease.id]);
  expect(await sweepOnce(lab.driver, leases, prisma)).toBe(1);
  expect((await leases.get(lease.id))!.revertReason).toBe('reaper');
  expect((await lookupTimed(A)).answer).toBe(ips[A]);
  expect((await lookupTimed(B)).answer).toBe(ips[B]);
  expect(await natTable()).toBe(before);
}, 30_000);
