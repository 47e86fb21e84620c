import { buildEgressPolicy, checkEgress, parseEgressList, withResolvedHosts } from './egress-policy';
import { parseIp } from './ip-address';

const policy = buildEgressPolicy({
  apiPort: 8080,
  workerPort: 9464,
  databaseUrl: 'postgresql://gameday:pw@postgres:5432/gameday',
  redisUrl: 'redis://127.0.0.1:6379/0',
  dockerHost: 'tcp://10.199.0.2:2375',
  localAddresses: ['192.168.1.10'],
});
const at = (host: string, port: number, address = host) => checkEgress(policy, { host, address, port });

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
