import { selectTargets, selectTargetsOrThrow, TargetSelectionError, type ContainerCandidate } from './target-selection';

const c = (name: string, extra: Partial<ContainerCandidate> = {}): ContainerCandidate => ({
  id: `${name}-id`,
  name,
  labels: { 'gameday.enabled': 'true', app: 'web' },
  running: true,
  networkMode: 'bridge',
  netnsKey: `${name}-ns`,
  ...extra,
});
const seq = (...draws: number[]) => {
  let i = 0;
  return () => draws[i++ % draws.length];
};
const netPolicy = { dedupeNetns: true };

describe('selectTargets', () => {
  const pool = [c('web-3'), c('web-1'), c('web-2'), c('web-4')];

  it('one: a random draw over name-sorted candidates, recorded', () => {
    const r = selectTargets(pool, { mode: 'one' }, seq(0.6), netPolicy);
    expect(r.selected.map((x) => x.name)).toEqual(['web-3']);
    expect(r.record).toEqual({ mode: 'one', requested: undefined, eligible: 4, chosen: ['web-3-id'], draws: [0.6] });
  });

  it('all: every eligible container, no draws', () => {
    const r = selectTargets(pool, { mode: 'all' }, seq(0), netPolicy);
    expect(r.selected.map((x) => x.name)).toEqual(['web-1', 'web-2', 'web-3', 'web-4']);
    expect(r.record.draws).toEqual([]);
  });

  it('count: N distinct containers, capped at the eligible number', () => {
    expect(selectTargets(pool, { mode: 'count', count: 2 }, seq(0, 0), netPolicy).selected.map((x) => x.name)).toEqual([
      'web-1',
      'web-2',
    ]);
    expect(selectTargets(pool, { mode: 'count', count: 9 }, seq(0), netPolicy).selected).toHaveLength(4);
  });

  it('percent: rounds, and at least one', () => {
    expect(
      selectTargets(pool, { mode: 'percent', percent: 50 }, seq(0.99, 0.99), netPolicy).selected.map((x) => x.name),
    ).toEqual(['web-4', 'web-3']);
    expect(selectTargets(pool, { mode: 'percent', percent: 1 }, seq(0), netPolicy).selected).toHaveLength(1);
  });

  it('refuses containers that did not opt in, host-network ones, our own and stopped ones, with reasons', () => {
    const r = selectTargets(
      [
        c('a', { labels: {} }),
        c('b', { networkMode: 'host' }),
        c('c', { labels: { 'gameday.enabled': 'true', 'gameday.role': 'worker' } }),
        c('d', { running: false }),
        c('e'),
      ],
      { mode: 'all' },
      seq(0),
      netPolicy,
    );
    expect(r.selected.map((x) => x.name)).toEqual(['e']);
    expect(r.refused.map((x) => [x.name, x.reason])).toEqual([
      ['a', 'not_opted_in'],
      ['b', 'host_network'],
      ['c', 'gameday_own_container'],
      ['d', 'not_running'],
    ]);
    expect(r.refused[0].message).toBe('a has not opted in: label gameday.enabled=true is required');
  });

  it('keeps the netns owner rather than a container that joined it', () => {
    const r = selectTargets(
      [c('a-joined', { netnsKey: 'ns1', networkMode: 'container:z-owner-id' }), c('z-owner', { netnsKey: 'ns1' })],
      { mode: 'all' },
      seq(0),
      netPolicy,
    );
    expect(r.selected.map((x) => x.name)).toEqual(['z-owner']);
    expect(r.deduplicated).toEqual([{ id: 'a-joined-id', name: 'a-joined', sharesNetnsWith: 'z-owner' }]);
  });

  it('deduplicates containers sharing one netns for network faults only', () => {
    const shared = [c('app', { netnsKey: 'ns1' }), c('sidecar', { netnsKey: 'ns1' }), c('other', { netnsKey: 'ns2' })];
    const r = selectTargets(shared, { mode: 'all' }, seq(0), netPolicy);
    expect(r.selected.map((x) => x.name)).toEqual(['app', 'other']);
    expect(r.deduplicated).toEqual([{ id: 'sidecar-id', name: 'sidecar', sharesNetnsWith: 'app' }]);
    expect(selectTargets(shared, { mode: 'all' }, seq(0), { dedupeNetns: false }).selected).toHaveLength(3);
  });
});

describe('a shared network namespace is judged with its owner', () => {
  const joined = (owner: ContainerCandidate) =>
    c('sidecar', { networkMode: `container:${owner.id}`, netnsKey: owner.netnsKey, netnsOwner: owner });

  it.each([
    ['uses the host network', c('owner', { networkMode: 'host' }), /uses the host network/],
    ['has not opted in', c('owner', { labels: {} }), /has not opted in/],
    [
      "is one of GameDay's own containers",
      c('owner', { labels: { 'gameday.role': 'worker' } }),
      /belongs to the GameDay service/,
    ],
    ['is privileged', c('owner', { privileged: true }), /is privileged/],
  ])('refuses an opted-in container whose netns owner %s', (_what, owner, message) => {
    const r = selectTargets([joined(owner)], { mode: 'all' }, seq(0), netPolicy);
    expect(r.selected).toEqual([]);
    expect(r.refused).toEqual([
      expect.objectContaining({
        name: 'sidecar',
        reason: 'netns_owner_refused',
        message: expect.stringMatching(message),
      }),
    ]);
  });

  it('accepts it when the owner may be faulted too', () => {
    expect(selectTargets([joined(c('owner'))], { mode: 'all' }, seq(0), netPolicy).selected.map((x) => x.name)).toEqual(
      ['sidecar'],
    );
  });

  it('refuses a privileged target unless the GameDay allows it', () => {
    const p = c('priv', { privileged: true });
    expect(selectTargets([p], { mode: 'all' }, seq(0), netPolicy).refused[0].reason).toBe('privileged');
    expect(selectTargets([p], { mode: 'all' }, seq(0), { ...netPolicy, allowPrivileged: true }).selected).toHaveLength(
      1,
    );
  });
});

describe('selectTargetsOrThrow', () => {
  const all = [
    c('demo-service2-1', {
      labels: {
        'gameday.enabled': 'true',
        'com.docker.compose.project': 'demo',
        'com.docker.compose.service': 'service2',
      },
    }),
    c('other', { labels: { app: 'x' } }),
  ];

  it('matches by name, compose project/service and labels', () => {
    expect(
      selectTargetsOrThrow(all, { container: 'demo-service2-1', selection: { mode: 'one' } }, seq(0), netPolicy)
        .selected[0].name,
    ).toBe('demo-service2-1');
    expect(
      selectTargetsOrThrow(
        all,
        { compose: { project: 'demo', service: 'service2' }, selection: { mode: 'all' } },
        seq(0),
        netPolicy,
      ).selected,
    ).toHaveLength(1);
  });

  it('throws with the refusal reasons when nothing is eligible', () => {
    expect(() =>
      selectTargetsOrThrow(all, { labels: { app: 'x' }, selection: { mode: 'all' } }, seq(0), netPolicy),
    ).toThrow(TargetSelectionError);
    expect(() =>
      selectTargetsOrThrow(all, { labels: { app: 'x' }, selection: { mode: 'all' } }, seq(0), netPolicy),
    ).toThrow('no eligible target for labels {"app":"x"}: other has not opted in');
    expect(() =>
      selectTargetsOrThrow(all, { container: 'nope', selection: { mode: 'one' } }, seq(0), netPolicy),
    ).toThrow('no eligible target for container "nope": no container matches');
  });
});
