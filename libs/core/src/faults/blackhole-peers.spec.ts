import {
  BLACKHOLE_MAX_ADDRESSES,
  resolveBlackholePeers,
  type PeerCandidate,
  type PeerTargetView,
} from './blackhole-peers';

const NET = { id: 'n1', name: 'shop_default' };
const OTHER = { id: 'n2', name: 'other' };
const target: PeerTargetView = { name: 'web', netnsKey: 'sb-web', networks: [{ ...NET, ipv4: '172.18.0.2' }] };

function peer(name: string, extra: Partial<PeerCandidate> = {}): PeerCandidate {
  return {
    id: `${name}-id`.padEnd(64, '0'),
    name,
    labels: {},
    running: true,
    networkMode: NET.name,
    netnsKey: `sb-${name}`,
    networks: [{ ...NET, ipv4: '172.18.0.9' }],
    ...extra,
  };
}
const replica = (n: number, extra: Partial<PeerCandidate> = {}) =>
  peer(`shop-db-${n}`, {
    labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'db' },
    networks: [{ ...NET, ipv4: `172.18.0.${10 + n}` }],
    ...extra,
  });

describe('resolveBlackholePeers', () => {
  it('keeps address peers as given and resolves a container to its address on the shared network', () => {
    const r = resolveBlackholePeers(['10.0.0.0/8', { container: 'db' }], target, [
      [],
      [
        peer('db', {
          networks: [
            { ...NET, ipv4: '172.18.0.9' },
            { ...OTHER, ipv4: '10.9.0.3' },
          ],
        }),
        peer('db-old'),
      ],
    ]);
    expect(r).toEqual({
      peers: [
        { peer: '10.0.0.0/8', addresses: ['10.0.0.0/8'] },
        // only the network it shares with the target; "db-old" is listed by Docker's substring filter, not a match
        { peer: 'container db', addresses: ['172.18.0.9'] },
      ],
      problems: [],
      notes: [],
    });
  });

  it('a compose service is every running replica; the others are named in the notes', () => {
    const r = resolveBlackholePeers([{ compose: { project: 'shop', service: 'db' } }], target, [
      [replica(2), replica(1), replica(3, { running: false }), peer('shop-cache-1')],
    ]);
    expect(r.peers).toEqual([{ peer: 'compose shop/db', addresses: ['172.18.0.11', '172.18.0.12'] }]);
    expect(r.problems).toEqual([]);
    expect(r.notes).toEqual(['compose shop/db: shop-db-3 is not running: left out']);
  });

  it('a replica that is the target itself (its netns) is left out, the other replicas stay', () => {
    const r = resolveBlackholePeers([{ compose: { project: 'shop', service: 'db' } }], target, [
      [replica(1, { netnsKey: 'sb-web' }), replica(2)],
    ]);
    expect(r.peers[0].addresses).toEqual(['172.18.0.12']);
    expect(r.notes).toEqual(['compose shop/db: shop-db-1 is the target itself (its network namespace): left out']);
  });

  it.each([
    ['no container matches', [], 'peers.0: container db resolves to no address (no container matches)'],
    [
      'a stopped container',
      [peer('db', { running: false })],
      'peers.0: container db resolves to no address (db is not running: left out)',
    ],
    [
      'no shared network',
      [peer('db', { networks: [{ ...OTHER, ipv4: '10.9.0.3' }] })],
      'peers.0: container db resolves to no address (db shares no network with web (it is on other): left out)',
    ],
    [
      'the host network',
      [peer('db', { networkMode: 'host', networks: [] })],
      'peers.0: container db resolves to no address (db uses the host network',
    ],
    [
      'the target itself',
      [peer('db', { netnsKey: 'sb-web' })],
      'peers.0: container db resolves to no address (db is the target itself',
    ],
    [
      "GameDay's own container",
      [peer('db', { labels: { 'gameday.role': 'worker' } })],
      'peers.0: container db: db belongs to the GameDay service (db has label gameday.role=worker): it is never a peer',
    ],
    [
      "a container in the netns of GameDay's own",
      [peer('db', { netnsOwner: { ...peer('gd-worker'), labels: { 'gameday.role': 'worker' } } })],
      'peers.0: container db: db belongs to the GameDay service (gd-worker has label gameday.role=worker)',
    ],
  ])('%s: a problem naming the peer, never an empty address list passed on silently', (_what, found, problem) => {
    const r = resolveBlackholePeers([{ container: 'db' }], target, [found as PeerCandidate[]]);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0].startsWith(problem)).toBe(true);
  });

  it("GameDay's own replica refuses the whole peer even when other replicas resolve", () => {
    const r = resolveBlackholePeers([{ compose: { project: 'shop', service: 'db' } }], target, [
      [replica(1), replica(2, { labels: { ...replica(2).labels, 'gameday.role': 'helper' } })],
    ]);
    expect(r.problems).toEqual([
      'peers.0: compose shop/db: shop-db-2 belongs to the GameDay service (shop-db-2 has label gameday.role=helper): it is never a peer',
    ]);
  });

  it(`more than ${BLACKHOLE_MAX_ADDRESSES} addresses in all is a problem`, () => {
    const many = Array.from({ length: BLACKHOLE_MAX_ADDRESSES + 1 }, (_, i) =>
      replica(i, { networks: [{ ...NET, ipv4: `172.18.1.${i}` }] }),
    );
    const r = resolveBlackholePeers([{ compose: { project: 'shop', service: 'db' } }], target, [many]);
    expect(r.problems).toEqual([
      `peers: ${BLACKHOLE_MAX_ADDRESSES + 1} addresses, at most ${BLACKHOLE_MAX_ADDRESSES} (name fewer or narrower peers)`,
    ]);
  });
});
