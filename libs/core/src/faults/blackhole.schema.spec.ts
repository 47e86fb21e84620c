import { faultSchema } from './fault.schema';

const base = { kind: 'blackhole', target: { container: 'svc' } };
function issues(input: unknown): string[] {
  const r = faultSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('blackhole spec', () => {
  it('fills the defaults', () => {
    expect(faultSchema.parse({ ...base, peers: ['10.0.0.5'] })).toEqual({
      kind: 'blackhole',
      target: { container: 'svc', selection: { mode: 'one' } },
      action: 'drop',
      direction: 'both',
      peers: ['10.0.0.5'],
      protocol: 'all',
    });
  });

  it.each([
    ['peers only', { peers: ['10.0.0.0/8', '192.168.1.7'] }],
    ['a port on egress, any peer', { direction: 'egress', ports: [5432], action: 'reject' }],
    ['ranges', { localPorts: [80, '8000-8100'], protocol: 'tcp' }],
    ['egress with nothing else (the target calls nobody)', { direction: 'egress' }],
    ['ingress with nothing else', { direction: 'ingress', action: 'reject' }],
    ['icmp to a peer', { peers: ['10.0.0.1'], protocol: 'icmp' }],
    ['15 ports', { ports: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, '20-21'] }],
    ['a container peer', { peers: [{ container: 'db' }], ports: [5432] }],
    ['a compose peer beside an address', { peers: [{ compose: { project: 'shop', service: 'db' } }, '10.0.0.9'] }],
  ])('accepts %s', (_what, extra) => {
    expect(issues({ ...base, ...extra })).toEqual([]);
  });

  it.each([
    [
      'everything in both directions (too broad)',
      {},
      'peers: too broad: direction "both" with no peers, ports or localPorts cuts the target off from everything; name the peers or ports to blackhole (or use a container fault)',
    ],
    ['a protocol alone is no restriction', { protocol: 'udp' }, 'peers: too broad'],
    ['a malformed CIDR', { peers: ['10.0.0.0/33'] }, 'peers.0: peers are IPv4 addresses or CIDRs'],
    ['an address with an extra octet', { peers: ['10.0.0.0.1'] }, 'peers.0: peers are IPv4'],
    [
      'IPv6 (not yet)',
      { peers: ['2001:db8::/32'] },
      'peers.0: peers are IPv4 addresses or CIDRs (e.g. "10.0.0.5", "10.0.0.0/8"); IPv6 is not supported yet',
    ],
    ['a hostname', { peers: ['db'] }, 'peers.0: peers are IPv4'],
    ['a shell string', { peers: ['10.0.0.1; reboot'] }, 'peers.0: peers are IPv4'],
    ['an iptables option', { peers: ['-j ACCEPT'] }, 'peers.0: peers are IPv4'],
    ['loopback', { peers: ['127.0.0.11'] }, 'peers.0: 127.0.0.11 is loopback'],
    ['empty peers', { peers: [] }, 'peers: peers must not be empty when given'],
    ['17 peers', { peers: Array.from({ length: 17 }, (_, i) => `10.0.0.${i + 1}`) }, 'peers: at most 16 peers'],
    ['port 0', { ports: [0] }, 'ports.0: ports are 1-65535'],
    ['port 70000', { localPorts: [70000] }, 'localPorts.0: ports are 1-65535'],
    ['a reversed range', { ports: ['90-80'] }, 'ports.0: "90-80": a range needs 1 <= FIRST < LAST <= 65535'],
    ['a range with a colon', { ports: ['80:90'] }, 'ports.0: a port range is "FIRST-LAST"'],
    ['a port as an option', { ports: ['--dports'] }, 'ports.0: a port range is "FIRST-LAST"'],
    [
      '16 multiport slots',
      { ports: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, '20-21'] },
      'ports: at most 15 ports per list',
    ],
    [
      'ports with icmp',
      { peers: ['10.0.0.1'], protocol: 'icmp', ports: [80] },
      'ports: ports cannot be combined with protocol icmp',
    ],
    [
      'localPorts with icmp',
      { localPorts: [80], protocol: 'icmp' },
      'localPorts: ports cannot be combined with protocol icmp',
    ],
    ['an unknown action', { peers: ['10.0.0.1'], action: 'blackhole' }, 'action: Invalid option'],
    ['an unknown direction', { peers: ['10.0.0.1'], direction: 'out' }, 'direction: Invalid option'],
    ['an unknown protocol', { peers: ['10.0.0.1'], protocol: 'sctp' }, 'protocol: Invalid option'],
    ['a misspelt field', { peers: ['10.0.0.1'], port: [80] }, ': Unrecognized key: "port"'],
    ['a netem option', { peers: ['10.0.0.1'], netem: { loss: 100 } }, ': Unrecognized key: "netem"'],
    [
      'a hostile container name',
      { peers: [{ container: '$(reboot)' }] },
      'peers.0.container: must be a Docker container name',
    ],
    [
      'a container name as an option',
      { peers: [{ container: '-j' }] },
      'peers.0.container: must be a Docker container name',
    ],
    [
      'a compose peer without its service',
      { peers: [{ compose: { project: 'shop' } }] },
      'peers.0: compose.service: Invalid input',
    ],
    [
      'an upper-case compose project',
      { peers: [{ compose: { project: 'Shop', service: 'db' } }] },
      'peers.0.compose.project: must be a Compose project name',
    ],
    [
      'a compose service with a space',
      { peers: [{ compose: { project: 'shop', service: 'db x' } }] },
      'peers.0.compose.service: must be a Compose service name',
    ],
    [
      'a peer naming both',
      { peers: [{ container: 'db', compose: { project: 'shop', service: 'db' } }] },
      'peers.0: a peer object names exactly one of container or compose',
    ],
    ['an empty peer object', { peers: [{}] }, 'peers.0: a peer object names exactly one of container or compose'],
    ['a peer by labels (not supported)', { peers: [{ labels: { app: 'db' } }] }, 'peers.0: Unrecognized key: "labels"'],
    [
      'a number as a peer',
      { peers: [5432] },
      'peers.0: a peer is an IPv4 address or CIDR, {"container": name} or {"compose"',
    ],
  ])('refuses %s, naming the field', (_what, extra, message) => {
    const found = issues({ ...base, ...extra });
    expect(found).toEqual(
      expect.arrayContaining([expect.stringMatching(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)]),
    );
  });
});
