import {
  buildEgressPolicy,
  checkEgress,
  type LocalAddresses,
  parseEgressList,
  withResolvedHosts,
} from './egress-policy';
import { parseCidr, parseIp } from './ip-address';

const policy = buildEgressPolicy({
  apiPort: 8080,
  workerPort: 9464,
  databaseUrl: 'postgresql://gameday:pw@postgres:5432/gameday',
  redisUrl: 'redis://127.0.0.1:6379/0',
  dockerHost: 'tcp://10.199.0.2:2375',
});
const localOf = (...cidrs: string[]): LocalAddresses => ({ ranges: cidrs.map((c) => parseCidr(c)!), complete: true });
const here = localOf('192.168.1.10');
const at = (host: string, port: number, address = host) => checkEgress(policy, { host, address, port }, here);

describe('egress policy', () => {
  it.each([
    ['metadata', '169.254.169.254', 80],
    ['metadata, IPv4-mapped IPv6', '::ffff:169.254.169.254', 80],
    ['metadata, IPv4-mapped IPv6 in hex', '::ffff:a9fe:a9fe', 80],
    ['IPv6 link-local', 'fe80::1%eth0', 80],
    ['AWS IPv6 metadata', 'fd00:ec2::254', 80],
    ['any Docker API port', '10.1.2.3', 2376],
    ['DOCKER_HOST', '10.199.0.2', 2375],
    ['own API on loopback', '127.0.0.1', 8080],
    ['own API on another loopback address', '127.0.1.1', 8080],
    ['own API on 0.0.0.0', '0.0.0.0', 8080],
    ['own API on IPv6 loopback', '::1', 8080],
    ['own API on this host address', '192.168.1.10', 8080],
    ['worker port', '127.0.0.1', 9464],
    ['Redis on loopback', '127.0.0.1', 6379],
  ])('denies %s', (_label, address, port) => {
    const d = at(address, port);
    expect(d.allowed).toBe(false);
    expect(d).toHaveProperty('reason', expect.stringMatching(/is denied/));
  });

  it('denies a name that resolves to a denied address, and Postgres by its name or resolved address', () => {
    expect(at('evil.example', 80, '169.254.169.254').allowed).toBe(false);
    expect(at('postgres', 5432, '172.18.0.2').allowed).toBe(false);
    const resolved = withResolvedHosts(policy, new Map([['postgres', ['172.18.0.2']]]));
    expect(checkEgress(resolved, { host: 'db-alias', address: '172.18.0.2', port: 5432 }).allowed).toBe(false);
    expect(checkEgress(resolved, { host: 'db-alias', address: '172.18.0.2', port: 80 }).allowed).toBe(true);
  });

  it.each([
    ['the demo on loopback', '127.0.0.1', 8000],
    ['another loopback service', '127.0.0.1', 43123],
    ['a private service', '10.0.0.5', 8080],
    ['a public host', '93.184.216.34', 443],
  ])('allows %s', (_label, address, port) => {
    expect(at(address, port)).toEqual({ allowed: true });
  });

  it('GAMEDAY_EGRESS_ALLOW narrows to an allow-list of hosts, CIDRs and host:port', () => {
    const p = buildEgressPolicy({ allow: 'service1, 10.0.0.0/8, 127.0.0.1:8000, [fd00::/8]:443' });
    const ok = (host: string, port: number, address = host) => checkEgress(p, { host, address, port }).allowed;
    expect(ok('service1', 80, '172.18.0.5')).toBe(true);
    expect(ok('10.2.3.4', 1234)).toBe(true);
    expect(ok('127.0.0.1', 8000)).toBe(true);
    expect(ok('127.0.0.1', 8001)).toBe(false);
    expect(ok('fd00::1', 443)).toBe(true);
    expect(ok('fd00::1', 80)).toBe(false);
    expect(ok('example.com', 443, '93.184.216.34')).toBe(false);
    // the allow-list cannot open what is always denied
    expect(
      buildEgressPolicy({ allow: '169.254.0.0/16' }) &&
        checkEgress(buildEgressPolicy({ allow: '169.254.0.0/16' }), {
          host: '169.254.169.254',
          address: '169.254.169.254',
          port: 80,
        }).allowed,
    ).toBe(false);
  });

  it('GAMEDAY_EGRESS_ALLOW_DENIED re-allows one denied destination, nothing else', () => {
    const p = buildEgressPolicy({ allowDenied: '169.254.10.1:80', apiPort: 8080 });
    expect(checkEgress(p, { host: '169.254.10.1', address: '169.254.10.1', port: 80 }).allowed).toBe(true);
    expect(checkEgress(p, { host: '169.254.169.254', address: '169.254.169.254', port: 80 }).allowed).toBe(false);
    expect(checkEgress(p, { host: '127.0.0.1', address: '127.0.0.1', port: 8080 }).allowed).toBe(false);
  });

  it('rejects malformed entries naming them', () => {
    expect(() => parseEgressList('10.0.0.0/33')).toThrow('10.0.0.0/33');
    expect(() => parseEgressList('host:99999')).toThrow('invalid port');
    expect(() => parseEgressList('a b')).toThrow('a b');
    expect(parseEgressList(' , ')).toEqual([]);
  });

  it('parses addresses, mapping IPv4-mapped IPv6 to IPv4', () => {
    expect(parseIp('::ffff:127.0.0.1')).toEqual(parseIp('127.0.0.1'));
    expect(parseIp('[::1]')).toEqual({ family: 6, value: 1n });
    expect(parseIp('1.2.3.256')).toBeUndefined();
    expect(parseIp('1::2::3')).toBeUndefined();
  });

  it('denies every node of a Redis Cluster or Sentinel setup, not only REDIS_URL', () => {
    const cluster = buildEgressPolicy({
      redisUrl: 'redis://:pw@ignored:6379',
      redisNodes: 'redis-a:7000, 10.0.0.7:7001',
    });
    const check = (host: string, address: string, port: number) =>
      checkEgress(cluster, { host, address, port }).allowed;
    expect(check('redis-a', '10.0.0.6', 7000)).toBe(false);
    expect(check('10.0.0.7', '10.0.0.7', 7001)).toBe(false);
    expect(check('10.0.0.7', '10.0.0.7', 7002)).toBe(true);
  });
});

describe("egress policy: GameDay's own ports on this host's addresses", () => {
  // the ports of a deployment like the one of the finding: API 4310, worker 4311, Postgres and
  // Redis on this host, the Docker Engine of a lab over TCP
  const own = buildEgressPolicy({
    apiPort: 4310,
    workerPort: 4311,
    databaseUrl: 'postgresql://postgres@127.0.0.1:5432/gameday',
    redisUrl: 'redis://127.0.0.1:6379/0',
    redisNodes: 'redis-b:26379',
    dockerHost: 'tcp://10.199.0.2:2375',
  });
  const decide = (address: string, port: number, local: LocalAddresses) =>
    checkEgress(own, { host: address, address, port }, local);
  // docker0 (down, so missing from the interface list) and a lab tap, as the kernel reports them
  const now = localOf('172.17.0.1/32', '10.199.0.1/32', 'fd99::1/128');
  const ports = [4310, 4311, 5432, 6379, 26379, 2375];

  it.each(
    ports.flatMap((port) => ['172.17.0.1', '10.199.0.1', '[fd99::1]', '127.0.0.2', '0.0.0.0'].map((a) => [a, port])),
  )('denies %s port %i: an address of this host', (address, port) => {
    const d = decide(String(address).replace(/^\[|\]$/g, ''), Number(port), now);
    expect(d).toEqual({ allowed: false, reason: expect.stringMatching(/GameDay's|Docker/) });
  });

  it.each(ports.filter((p) => p !== 2375))('allows port %i on an address that is not this host', (port) => {
    expect(decide('10.0.0.5', port, now)).toEqual({ allowed: true });
    expect(decide('172.17.0.2', port, now)).toEqual({ allowed: true });
  });

  it('decides with the addresses given for each request, not with those of the start', () => {
    const before = localOf('192.0.2.2/32');
    expect(decide('172.17.0.1', 4310, before)).toEqual({ allowed: true });
    const after = localOf('192.0.2.2/32', '172.17.0.1/32');
    expect(decide('172.17.0.1', 4310, after)).toMatchObject({
      allowed: false,
      reason: expect.stringContaining("GameDay's own API (port 4310 on an address of this host)"),
    });
  });

  it('a local range (AnyIP) counts as this host throughout', () => {
    const anyIp = localOf('10.9.0.0/24');
    expect(decide('10.9.0.77', 5432, anyIp).allowed).toBe(false);
    expect(decide('10.9.1.77', 5432, anyIp).allowed).toBe(true);
  });

  it('when the addresses could not be read, every non-public address counts as this host', () => {
    const unknown: LocalAddresses = { ranges: [], complete: false };
    for (const address of ['10.0.0.5', '172.20.0.3', '192.168.1.9', '100.64.1.1', 'fd12::3'])
      expect(decide(address, 4310, unknown).allowed).toBe(false);
    expect(decide('93.184.216.34', 4310, unknown).allowed).toBe(true);
    expect(decide('10.0.0.5', 8000, unknown).allowed).toBe(true);
  });

  it('GAMEDAY_EGRESS_ALLOW_DENIED can re-allow one of them, nothing else', () => {
    const p = buildEgressPolicy({ apiPort: 4310, allowDenied: '172.17.0.1:4310' });
    expect(checkEgress(p, { host: '172.17.0.1', address: '172.17.0.1', port: 4310 }, now).allowed).toBe(true);
    expect(checkEgress(p, { host: '10.199.0.1', address: '10.199.0.1', port: 4310 }, now).allowed).toBe(false);
  });

  it('a remote Redis node stays denied by its name and address, and its port on this host too', () => {
    const p = withResolvedHosts(own, new Map([['redis-b', ['10.0.0.9']]]));
    expect(checkEgress(p, { host: 'redis-b', address: '10.0.0.9', port: 26379 }, now).allowed).toBe(false);
    expect(checkEgress(p, { host: 'x', address: '10.0.0.9', port: 26379 }, now).allowed).toBe(false);
    expect(checkEgress(p, { host: 'x', address: '10.0.0.8', port: 26379 }, now).allowed).toBe(true);
  });
});

describe('egress policy: IPv6 forms that embed a denied IPv4 address', () => {
  const own = buildEgressPolicy({ apiPort: 4310 });
  const docker0 = localOf('172.17.0.1/32');
  const decide = (address: string, port: number) => checkEgress(own, { host: address, address, port }, docker0);

  // 169.254.169.254 = a9fe:a9fe, 172.17.0.1 = ac11:1, 127.0.0.1 = 7f00:1
  it.each([
    ['IPv4-mapped', '::ffff:169.254.169.254', 80],
    ['IPv4-mapped, hex', '::ffff:a9fe:a9fe', 80],
    ['IPv4-translated (SIIT)', '::ffff:0:169.254.169.254', 80],
    ['IPv4-compatible', '::169.254.169.254', 80],
    ['IPv4-compatible, hex', '::a9fe:a9fe', 80],
    ['NAT64 well-known prefix', '64:ff9b::169.254.169.254', 80],
    ['NAT64 well-known prefix, hex', '64:ff9b::a9fe:a9fe', 80],
    ['NAT64 local-use, /96 layout', '64:ff9b:1::a9fe:a9fe', 80],
    ['NAT64 local-use, /96 layout in a subnet', '64:ff9b:1:2:3:4:a9fe:a9fe', 80],
    ['NAT64 local-use, /48 layout', '64:ff9b:1:a9fe:a9:fe00::', 80],
    ['NAT64 local-use, /56 layout', '64:ff9b:1:a9:fe:a9fe::', 80],
    ['NAT64 local-use, /64 layout', '64:ff9b:1:0:a9:fea9:fe00:0', 80],
    ['own API on docker0, IPv4-mapped', '::ffff:172.17.0.1', 4310],
    ['own API on docker0, IPv4-compatible', '::ac11:1', 4310],
    ['own API on docker0, NAT64', '64:ff9b::172.17.0.1', 4310],
    ['own API on docker0, NAT64 local-use', '64:ff9b:1::ac11:1', 4310],
    ['own API on loopback, IPv4-compatible', '::127.0.0.1', 4310],
    ['own API on loopback, NAT64', '64:ff9b::7f00:1', 4310],
    ['Docker API port, NAT64', '64:ff9b::a00:5', 2375],
  ])('denies %s (%s port %i) as the IPv4 address it embeds', (_label, address, port) => {
    const d = decide(address, port);
    expect(d).toEqual({ allowed: false, reason: expect.stringMatching(/is denied/) });
  });

  it('names the IPv4 address it decided on', () => {
    expect(decide('64:ff9b::a9fe:a9fe', 80)).toMatchObject({
      reason: expect.stringContaining('64:ff9b::a9fe:a9fe, IPv4 169.254.169.254 port 80 is denied'),
    });
  });

  it.each([
    ['IPv6 loopback (not IPv4-compatible)', '::1', 8000],
    ['a public IPv4 through NAT64', '64:ff9b::5db8:d822', 443],
    ['the API port on an IPv4 address elsewhere, NAT64', '64:ff9b::a00:5', 4310],
    // 6to4 and Teredo embed a tunnel end point, which receives encapsulated IPv6, not this
    // connection: not decoded (see ip-address.ts)
    ['6to4 with a link-local relay', '2002:a9fe:a9fe::1', 80],
    ['Teredo', '2001:0:a9fe:a9fe::1', 80],
  ])('allows %s (%s port %i)', (_label, address, port) => {
    expect(decide(address, port)).toEqual({ allowed: true });
  });

  it('GAMEDAY_EGRESS_ALLOW sees the embedded IPv4 address too', () => {
    const p = buildEgressPolicy({ allow: '10.0.0.0/8' });
    const ok = (address: string) => checkEgress(p, { host: address, address, port: 80 }).allowed;
    expect(ok('::ffff:10.1.2.3')).toBe(true);
    expect(ok('64:ff9b::10.1.2.3')).toBe(true);
    expect(ok('64:ff9b::8.8.8.8')).toBe(false);
  });
});
