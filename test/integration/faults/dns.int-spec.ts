import { dnsArmed, DNS_CONFIG_PATH, execInContainer } from '@gameday/faults';
import { type Answer, useDnsLab } from '../../support/dns-lab';
import { waitFor } from '../../support/harness';

/**
 * The dns kind on the host's real Docker Engine (test/support/dns-lab.ts): a fault on svc-a's name
 * makes only svc-a's queries fail as asked between T0 and T1, by the helper's clock, and leaves the
 * nat table exactly as it was, and no resolver, after T1. Rollback paths: dns-rollback.int-spec.ts.
 */
const lab = useDnsLab('gddns');
const { A, B, docker, ledger, ips, spec, lookupInTarget, lookupTimed, natTable, legacyTables, udpClient, resolversIn } =
  lab;

it("Docker's embedded DNS rules are in the target's nat table (what every revert must leave as it was)", async () => {
  expect(await natTable()).toMatch(/-A DOCKER_OUTPUT -d 127\.0\.0\.11\/32 -p udp/);
});

it('dry run: the resolver command and the exact rules, nothing applied', async () => {
  const before = await natTable();
  const plan = await lab.driver.dryRun(spec({ action: 'delay', delayMs: 300 }));
  const t = plan.targets[0];
  expect(t.apply[0]).toEqual(expect.arrayContaining(['gameday-helper', 'dnsstart', 'delay', '300', A]));
  expect(t.apply).toContainEqual(expect.arrayContaining(['-I', 'OUTPUT', '1', '-j', expect.stringMatching(/-DNS$/)]));
  expect(t.warnings.join('\n')).toContain('DelayAction(300)');
  expect(await natTable()).toBe(before);
});

/** What svc-a's query gets in the window, per action; svc-b always gets its own address. */
const cases: [string, Record<string, unknown>, (a: Answer) => boolean][] = [
  ['nxdomain', { action: 'nxdomain' }, (a) => a === 'nxdomain'],
  ['servfail', { action: 'servfail' }, (a) => a === 'servfail'],
  ['timeout', { action: 'timeout' }, (a) => a === 'none'],
  ['address', { action: 'address', addresses: ['10.99.0.7'] }, (a) => a === '10.99.0.7'],
];

it.each(cases)(
  '%s: applied at T0 and removed at T1 by the helper; svc-b resolves throughout; the nat table as before, no resolver left',
  async (_name, extra, expected) => {
    const before = await natTable();
    const legacyBefore = await legacyTables();
    const prepared = await lab.driver.prepare(spec(extra), lab.target, { expiresAt: new Date(Date.now() + 60_000) });
    const helperId = prepared.helperContainerId!;
    // the helper wrote the configuration compiled here, from the words it was given
    expect((await execInContainer(docker, helperId, ['cat', DNS_CONFIG_PATH])).stdout).toBe(dnsArmed(prepared).config);
    expect(await resolversIn(helperId)).toBe(1);
    const t0 = Date.now() + 4_000;
    // the lookups and the check in the window take seconds on a loaded host: with 3 s the helper had
    // reverted (on time) before the check ran, once in CI
    const t1 = t0 + 6_000;
    const lease = await ledger.schedule(lab.driver, prepared, { applyAt: new Date(t0), revertAt: new Date(t1) });
    // armed, not applied: both resolve, the nat table untouched
    expect(await lookupInTarget(A)).toBe(ips[A]);
    expect(await natTable()).toBe(before);
    expect(Date.now()).toBeLessThan(t0); // (what was seen was before T0)
    // the helper's own record says when the steps were all in (tens of ms after T0 on this host)
    await waitFor('T0', async () => Date.now() > t0, 5_000, 20);
    await waitFor(
      'the helper to apply',
      async () => (await ledger.readTimeline(lab.driver, lease)).state === 'applied',
      5_000,
      20,
    );
    const during = await lookupInTarget(A);
    expect([during, expected(during)]).toEqual([during, true]);
    expect(await lookupInTarget(B)).toBe(ips[B]);
    expect(await lab.driver.verify(lease)).toEqual({ ok: true });
    await waitFor('T1', async () => Date.now() > t1, 8_000, 20);
    await waitFor(
      'the helper to revert',
      async () => (await ledger.readTimeline(lab.driver, lease)).state === 'reverted',
      5_000,
      20,
    );
    expect(await lookupInTarget(A)).toBe(ips[A]);
    expect(await lookupInTarget(B)).toBe(ips[B]);
    expect(await natTable()).toBe(before);
    expect(await legacyTables()).toBe(legacyBefore);
    expect(await resolversIn(helperId)).toBe(0);
    const timeline = await ledger.readTimeline(lab.driver, lease);
    expect(timeline).toMatchObject({ state: 'reverted', revertReason: 'scheduled' });
    console.log(
      `dns ${_name}: helper's record: applied ${timeline.appliedAt!.getTime() - t0} ms after T0, reverted ${timeline.revertedAt!.getTime() - t1} ms after T1`,
    );
    // the plan went to the helper as one iptables-restore block of the nat table, held by gameday-at
    // ahead of T0, with the resolver's check before it and the flush of port-53 flows after it
    const staged = (file: string) =>
      execInContainer(docker, helperId, ['cat', `/var/lib/gameday/steps/${file}`]).then((r) => r.stdout);
    expect(await staged('apply.batch')).toMatch(
      /^\*nat\n-N GAMEDAY-[0-9a-f]{8}-DNS\n(-A GAMEDAY-.*\n){3}-I OUTPUT 1 -m comment --comment gameday:[0-9a-f]{8} -j GAMEDAY-[0-9a-f]{8}-DNS\nCOMMIT\n$/,
    );
    expect([await staged('apply.pre'), await staged('apply.post'), await staged('undo.post')]).toEqual([
      'gameday-helper\ndnsready\n',
      'gameday-helper\ndnsflush\n',
      'gameday-helper\ndnsstop\n',
    ]);
    expect((await ledger.revert(lab.driver, lease, 'planned_end')).outcome).toBe('already_gone');
    await lab.driver.release(prepared);
  },
  30_000,
);

it('delay: the real answer, late by delayMs (median within +10 % and a round trip), other names at once', async () => {
  const delayMs = 500;
  const before = await natTable();
  const prepared = await lab.driver.prepare(spec({ action: 'delay', delayMs }), lab.target, {
    expiresAt: new Date(Date.now() + 60_000),
  });
  const lease = await ledger.apply(lab.driver, prepared);
  try {
    // one socket, timed in the client: no process start in the figures. The names the fault leaves
    // alone are asked before and after: the delayed answer may be late by +10 % and by what a
    // round trip costs this host now (a fixed 50 ms failed twice in CI at load 5-7 on 2 CPUs: 624
    // and 662 ms for 500)
    const b1 = await udpClient(B, 100, 300);
    const a = await udpClient(A, 1_000, 2_950);
    const b = [...b1, ...(await udpClient(B, 100, 300))];
    const roundTripMs = Math.max(50, ...b.map((x) => x.ms));
    console.log(
      `dns delay ${delayMs} ms: svc-a ${a.map((x) => x.ms).join(', ')} ms; svc-b ${b.map((x) => x.ms).join(', ')} ms (median bound ${delayMs * 1.1 + roundTripMs} ms)`,
    );
    expect(a.length).toBeGreaterThanOrEqual(3);
    for (const x of a) {
      expect(x.answer).toBe('noerror 1');
      expect(x.ms).toBeGreaterThanOrEqual(delayMs);
      // one answer the loaded host scheduled late is the host; half a delay more is not
      expect(x.ms).toBeLessThanOrEqual(delayMs * 1.5);
    }
    const median = [...a].sort((x, y) => x.ms - y.ms)[Math.floor(a.length / 2)].ms;
    expect(median).toBeLessThanOrEqual(delayMs * 1.1 + roundTripMs);
    for (const x of b) {
      expect(x.answer).toBe('noerror 1');
      expect(x.ms).toBeLessThan(100);
    }
    expect((await lookupTimed(A, 3_000)).answer).toBe(ips[A]);
  } finally {
    expect((await ledger.revert(lab.driver, lease, 'planned_end')).outcome).toBe('reverted');
  }
  expect(await natTable()).toBe(before);
  expect(await resolversIn(prepared.helperContainerId!)).toBe(0);
  expect((await lookupTimed(A)).ms).toBeLessThan(200);
  await lab.driver.release(prepared);
}, 30_000);

it('patterns: "*." matches only names below, a bare name itself and below, whatever the case', async () => {
  const prepared = await lab.driver.prepare(
    spec({ names: [`*.${B}`, A.toUpperCase()], action: 'address', addresses: ['10.99.0.8'] }),
    lab.target,
    {
      expiresAt: new Date(Date.now() + 60_000),
    },
  );
  const lease = await ledger.apply(lab.driver, prepared);
  try {
    expect((await lookupTimed(B)).answer).toBe(ips[B]);
    expect((await lookupTimed(`x.${B}`)).answer).toBe('10.99.0.8');
    expect((await lookupTimed(`y.X.${B.toUpperCase()}`)).answer).toBe('10.99.0.8');
    expect((await lookupTimed(A)).answer).toBe('10.99.0.8');
    expect((await lookupTimed(`sub.${A}`)).answer).toBe('10.99.0.8');
    // a name that only ends like a pattern is not below it
    expect((await lookupTimed(`x${B}`)).answer).not.toBe('10.99.0.8');
  } finally {
    expect((await ledger.revert(lab.driver, lease, 'planned_end')).outcome).toBe('reverted');
  }
  await lab.driver.release(prepared);
}, 30_000);
