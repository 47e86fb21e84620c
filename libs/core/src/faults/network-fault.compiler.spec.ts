import { faultSchema, type NetworkFaultSpec } from './fault.schema';
import { compileNetworkFault, rollbackSteps } from './network-fault.compiler';

function net(input: Record<string, unknown>): NetworkFaultSpec {
  return faultSchema.parse({ kind: 'network', target: { container: 'svc' }, ...input }) as NetworkFaultSpec;
}
const root = (dev: string, ...netem: string[]) => [
  'tc',
  'qdisc',
  'add',
  'dev',
  dev,
  'root',
  'handle',
  '4744:',
  'netem',
  ...netem,
];

describe('compileNetworkFault: netem options (whole interface)', () => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    ['delay (limit raised for 100mbit × 500ms)', { delay: '500ms' }, ['limit', '5209', 'delay', '500ms']],
    [
      'delay + jitter (the DESIGN example)',
      { delay: '500ms', jitter: '100ms' },
      ['limit', '6250', 'delay', '500ms', '100ms'],
    ],
    [
      'delay + jitter + correlation',
      { delay: '100ms', jitter: '10ms', correlation: 25 },
      ['limit', '1146', 'delay', '100ms', '10ms', '25%'],
    ],
    [
      'distribution normal',
      { delay: '100ms', jitter: '10ms', distribution: 'normal' },
      ['limit', '1146', 'delay', '100ms', '10ms', 'distribution', 'normal'],
    ],
    [
      'distribution pareto',
      { delay: '10ms', jitter: '5ms', distribution: 'pareto' },
      ['limit', '1000', 'delay', '10ms', '5ms', 'distribution', 'pareto'],
    ],
    [
      'distribution paretonormal',
      { delay: '10ms', jitter: '5ms', distribution: 'paretonormal' },
      ['limit', '1000', 'delay', '10ms', '5ms', 'distribution', 'paretonormal'],
    ],
    [
      'distribution uniform is netem default (no table)',
      { delay: '10ms', jitter: '5ms', distribution: 'uniform' },
      ['limit', '1000', 'delay', '10ms', '5ms'],
    ],
    ['microsecond delay keeps its unit', { delay: '250us' }, ['limit', '1000', 'delay', '250us']],
    ['seconds', { delay: '2s' }, ['limit', '20834', 'delay', '2s']],
    ['loss percent', { loss: 30 }, ['limit', '1000', 'loss', 'random', '30%']],
    ['loss fractional percent', { loss: 0.1 }, ['limit', '1000', 'loss', 'random', '0.1%']],
    [
      'loss random with correlation',
      { loss: { model: 'random', percent: 5, correlation: 25 } },
      ['limit', '1000', 'loss', 'random', '5%', '25%'],
    ],
    [
      'loss state p13 p31',
      { loss: { model: 'state', p13: 1, p31: 10 } },
      ['limit', '1000', 'loss', 'state', '1%', '10%'],
    ],
    [
      'loss state all five',
      { loss: { model: 'state', p13: 1, p31: 10, p32: 20, p23: 30, p14: 0.5 } },
      ['limit', '1000', 'loss', 'state', '1%', '10%', '20%', '30%', '0.5%'],
    ],
    ['loss gemodel p', { loss: { model: 'gemodel', p: 1 } }, ['limit', '1000', 'loss', 'gemodel', '1%']],
    [
      'loss gemodel p r h k',
      { loss: { model: 'gemodel', p: 1, r: 10, h: 70, k: 0.1 } },
      ['limit', '1000', 'loss', 'gemodel', '1%', '10%', '70%', '0.1%'],
    ],
    ['duplicate', { duplicate: 1 }, ['limit', '1000', 'duplicate', '1%']],
    ['corrupt', { corrupt: 0.5 }, ['limit', '1000', 'corrupt', '0.5%']],
    [
      'reorder with delay',
      { delay: '10ms', reorder: { percent: 25 } },
      ['limit', '1000', 'delay', '10ms', 'reorder', '25%'],
    ],
    [
      'reorder correlation and gap',
      { delay: '10ms', reorder: { percent: 25, correlation: 50, gap: 5 } },
      ['limit', '1000', 'delay', '10ms', 'reorder', '25%', '50%', 'gap', '5'],
    ],
    ['rate', { rate: '1mbit' }, ['limit', '1000', 'rate', '1mbit']],
    [
      'rate with delay needing more queue',
      { delay: '1s', rate: '100mbit' },
      ['limit', '10417', 'delay', '1s', 'rate', '100mbit'],
    ],
    ['explicit limit wins', { delay: '10ms', limit: 50 }, ['limit', '50', 'delay', '10ms']],
    [
      'everything together',
      {
        delay: '100ms',
        jitter: '20ms',
        correlation: 10,
        distribution: 'normal',
        loss: { model: 'random', percent: 2, correlation: 5 },
        duplicate: 1,
        corrupt: 0.1,
        reorder: { percent: 5, gap: 3 },
        rate: '10mbit',
        limit: 5000,
      },
      [
        'limit',
        '5000',
        'delay',
        '100ms',
        '20ms',
        '10%',
        'distribution',
        'normal',
        'loss',
        'random',
        '2%',
        '5%',
        'duplicate',
        '1%',
        'corrupt',
        '0.1%',
        'reorder',
        '5%',
        'gap',
        '3',
        'rate',
        '10mbit',
      ],
    ],
  ];
  it.each(cases)('%s', (_name, netem, args) => {
    const c = compileNetworkFault(net({ netem }));
    expect(c.apply).toEqual([root('eth0', ...args)]);
    expect(c.revert).toEqual([['tc', 'qdisc', 'del', 'dev', 'eth0', 'root', 'handle', '4744:', 'netem']]);
    expect(c.verify).toEqual([['tc', '-j', 'qdisc', 'show', 'dev', 'eth0']]);
    expect(c.apply.flat().every((w) => typeof w === 'string' && w.length > 0)).toBe(true);
  });

  it('reports a raised limit as a warning and keeps a too-small explicit one with a warning', () => {
    expect(compileNetworkFault(net({ netem: { delay: '500ms', jitter: '100ms' } })).warnings[0]).toMatch(
      /limit raised to 6250/,
    );
    expect(compileNetworkFault(net({ netem: { delay: '500ms', limit: 10 } })).warnings[0]).toMatch(/limit 10 is below/);
  });

  it('uses the device option and the spec device', () => {
    expect(compileNetworkFault(net({ netem: { delay: '1ms' }, device: 'eth1' })).apply[0][4]).toBe('eth1');
    expect(compileNetworkFault(net({ netem: { delay: '1ms' } }), { device: 'ens5' }).apply[0][4]).toBe('ens5');
  });

  it('ignores loopback exclusions (Docker DNS on 127.0.0.11 never crosses eth0)', () => {
    const c = compileNetworkFault(net({ netem: { delay: '1ms' }, exclude: ['127.0.0.11', '::1'] }));
    expect(c.apply).toHaveLength(1);
  });
});

const PRIO = [
  'tc',
  'qdisc',
  'add',
  'dev',
  'eth0',
  'root',
  'handle',
  '4744:',
  'prio',
  'bands',
  '2',
  'priomap',
  '0',
  '0',
  '0',
  '0',
  '0',
  '0',
  '0',
  '0',
  '0',
  '0',
  '0',
  '0',
  '0',
  '0',
  '0',
  '0',
];
const PASS = ['tc', 'qdisc', 'add', 'dev', 'eth0', 'parent', '4744:1', 'handle', '4746:', 'pfifo', 'limit', '1000'];
const NETEM = [
  'tc',
  'qdisc',
  'add',
  'dev',
  'eth0',
  'parent',
  '4744:2',
  'handle',
  '4745:',
  'netem',
  'limit',
  '1000',
  'delay',
  '10ms',
];
const f = (proto: string, pref: number, ...m: string[]) => [
  'tc',
  'filter',
  'add',
  'dev',
  'eth0',
  'parent',
  '4744:',
  'protocol',
  proto,
  'pref',
  String(pref),
  'u32',
  ...m,
];

describe('compileNetworkFault: scope', () => {
  it('one destination: prio root (all priorities to the untouched band), pfifo, netem on band 2, one IPv4 filter', () => {
    const c = compileNetworkFault(
      net({ netem: { delay: '10ms' }, scope: { rules: [{ destinations: ['10.1.0.0/16'] }] } }),
    );
    expect(c.apply).toEqual([PRIO, PASS, NETEM, f('ip', 100, 'match', 'ip', 'dst', '10.1.0.0/16', 'flowid', '4744:2')]);
    expect(c.revert).toEqual([['tc', 'qdisc', 'del', 'dev', 'eth0', 'root', 'handle', '4744:', 'prio']]);
    expect(c.verify).toEqual([
      ['tc', '-j', 'qdisc', 'show', 'dev', 'eth0'],
      ['tc', '-j', 'filter', 'show', 'dev', 'eth0', 'parent', '4744:'],
    ]);
    expect(c.expected.filterCount).toBe(1);
    expect(c.expected.filters).toEqual([{ dev: 'eth0', parent: '4744:', protocol: 'ip', pref: 100, flowid: '4744:2' }]);
  });

  it('AND within a rule: destination, protocol and port in ONE filter', () => {
    const c = compileNetworkFault(
      net({
        netem: { delay: '10ms' },
        scope: { rules: [{ destinations: ['10.0.0.5'], ports: [5432], protocol: 'tcp' }] },
      }),
    );
    expect(c.apply.slice(3)).toEqual([
      f(
        'ip',
        100,
        'match',
        'ip',
        'dst',
        '10.0.0.5/32',
        'match',
        'ip',
        'protocol',
        '6',
        '0xff',
        'match',
        'ip',
        'dport',
        '5432',
        '0xffff',
        'flowid',
        '4744:2',
      ),
    ]);
  });

  it('OR across rules: one filter per rule; values of one field expand to one filter each', () => {
    const c = compileNetworkFault(
      net({
        netem: { delay: '10ms' },
        scope: {
          rules: [{ destinations: ['10.0.0.1', '10.0.0.2'], ports: [80, 443] }, { destinations: ['192.168.1.0/24'] }],
        },
      }),
    );
    expect(c.apply.slice(3)).toEqual([
      f('ip', 100, 'match', 'ip', 'dst', '10.0.0.1/32', 'match', 'ip', 'dport', '80', '0xffff', 'flowid', '4744:2'),
      f('ip', 101, 'match', 'ip', 'dst', '10.0.0.1/32', 'match', 'ip', 'dport', '443', '0xffff', 'flowid', '4744:2'),
      f('ip', 102, 'match', 'ip', 'dst', '10.0.0.2/32', 'match', 'ip', 'dport', '80', '0xffff', 'flowid', '4744:2'),
      f('ip', 103, 'match', 'ip', 'dst', '10.0.0.2/32', 'match', 'ip', 'dport', '443', '0xffff', 'flowid', '4744:2'),
      f('ip', 104, 'match', 'ip', 'dst', '192.168.1.0/24', 'flowid', '4744:2'),
    ]);
  });

  it('IPv6 destinations get their own protocol ipv6 filters with ip6 matches', () => {
    const c = compileNetworkFault(
      net({
        netem: { delay: '10ms' },
        scope: { rules: [{ destinations: ['2001:db8::/32', '10.0.0.0/8'], ports: [53], protocol: 'udp' }] },
      }),
    );
    expect(c.apply.slice(3)).toEqual([
      f(
        'ipv6',
        100,
        'match',
        'ip6',
        'dst',
        '2001:db8::/32',
        'match',
        'ip6',
        'protocol',
        '17',
        '0xff',
        'match',
        'ip6',
        'dport',
        '53',
        '0xffff',
        'flowid',
        '4744:2',
      ),
      f(
        'ip',
        101,
        'match',
        'ip',
        'dst',
        '10.0.0.0/8',
        'match',
        'ip',
        'protocol',
        '17',
        '0xff',
        'match',
        'ip',
        'dport',
        '53',
        '0xffff',
        'flowid',
        '4744:2',
      ),
    ]);
  });

  it('ports without destinations cover both families; icmp uses 1 for IPv4 and 58 for IPv6', () => {
    const ports = compileNetworkFault(net({ netem: { delay: '10ms' }, scope: { rules: [{ ports: [8080] }] } }));
    expect(ports.apply.slice(3)).toEqual([
      f('ip', 100, 'match', 'ip', 'dport', '8080', '0xffff', 'flowid', '4744:2'),
      f('ipv6', 101, 'match', 'ip6', 'dport', '8080', '0xffff', 'flowid', '4744:2'),
    ]);
    const icmp = compileNetworkFault(net({ netem: { delay: '10ms' }, scope: { rules: [{ protocol: 'icmp' }] } }));
    expect(icmp.apply.slice(3)).toEqual([
      f('ip', 100, 'match', 'ip', 'protocol', '1', '0xff', 'flowid', '4744:2'),
      f('ipv6', 101, 'match', 'ip6', 'protocol', '58', '0xff', 'flowid', '4744:2'),
    ]);
  });

  it('exclusions win over scope (lower pref) and go to the untouched band', () => {
    const c = compileNetworkFault(
      net({
        netem: { delay: '10ms' },
        exclude: ['127.0.0.11', '10.0.0.9', 'fd00::1'],
        scope: { rules: [{ destinations: ['10.0.0.0/24'] }] },
      }),
    );
    expect(c.apply.slice(3)).toEqual([
      f('ip', 10, 'match', 'ip', 'dst', '10.0.0.9/32', 'flowid', '4744:1'),
      f('ipv6', 11, 'match', 'ip6', 'dst', 'fd00::1/128', 'flowid', '4744:1'),
      f('ip', 100, 'match', 'ip', 'dst', '10.0.0.0/24', 'flowid', '4744:2'),
    ]);
  });

  it('whole interface with a non-loopback exclusion: catch-all filter added last', () => {
    const c = compileNetworkFault(net({ netem: { delay: '10ms' }, exclude: ['172.17.0.1'] }));
    expect(c.apply.slice(3)).toEqual([
      f('ip', 10, 'match', 'ip', 'dst', '172.17.0.1/32', 'flowid', '4744:1'),
      f('all', 1000, 'match', 'u32', '0', '0', 'flowid', '4744:2'),
    ]);
  });

  it('refuses a scope that expands past the filter budget', () => {
    const many = Array.from({ length: 20 }, (_, i) => `10.0.0.${i + 1}`);
    expect(() =>
      compileNetworkFault(
        net({
          netem: { delay: '10ms' },
          scope: { rules: [{ destinations: many, ports: Array.from({ length: 20 }, (_, i) => 1000 + i) }] },
        }),
      ),
    ).toThrow(/expands to 400 filters/);
  });
});

describe('compileNetworkFault: ingress via IFB', () => {
  it('creates the ifb, puts netem on it, then redirects eth0 ingress to it', () => {
    const c = compileNetworkFault(net({ netem: { delay: '10ms' }, direction: 'ingress' }));
    expect(c.apply).toEqual([
      ['ip', 'link', 'add', 'gdifb0', 'type', 'ifb'],
      ['ip', 'link', 'set', 'dev', 'gdifb0', 'up'],
      ['tc', 'qdisc', 'add', 'dev', 'gdifb0', 'root', 'handle', '4744:', 'netem', 'limit', '1000', 'delay', '10ms'],
      ['tc', 'qdisc', 'add', 'dev', 'eth0', 'handle', 'ffff:', 'ingress'],
      [
        'tc',
        'filter',
        'add',
        'dev',
        'eth0',
        'parent',
        'ffff:',
        'protocol',
        'all',
        'pref',
        '1',
        'u32',
        'match',
        'u32',
        '0',
        '0',
        'action',
        'mirred',
        'egress',
        'redirect',
        'dev',
        'gdifb0',
      ],
    ]);
    expect(c.revert).toEqual([
      ['tc', 'qdisc', 'del', 'dev', 'eth0', 'handle', 'ffff:', 'ingress'],
      ['tc', 'qdisc', 'del', 'dev', 'gdifb0', 'root', 'handle', '4744:', 'netem'],
      ['ip', 'link', 'del', 'gdifb0'],
    ]);
    expect(c.verify).toEqual([
      ['tc', '-j', 'qdisc', 'show', 'dev', 'eth0'],
      ['tc', '-j', 'qdisc', 'show', 'dev', 'gdifb0'],
      ['tc', '-j', 'filter', 'show', 'dev', 'eth0', 'parent', 'ffff:'],
    ]);
    expect(c.expected.filters).toEqual([
      { dev: 'eth0', parent: 'ffff:', protocol: 'all', pref: 1, redirectTo: 'gdifb0' },
    ]);
  });

  it('scoped ingress matches the peer as source address and source port', () => {
    const c = compileNetworkFault(
      net({
        netem: { delay: '10ms' },
        direction: 'ingress',
        scope: { rules: [{ destinations: ['10.0.0.7'], ports: [5432] }] },
      }),
      { ifbDevice: 'ifbx' },
    );
    expect(c.apply).toContainEqual([
      'tc',
      'filter',
      'add',
      'dev',
      'ifbx',
      'parent',
      '4744:',
      'protocol',
      'ip',
      'pref',
      '100',
      'u32',
      'match',
      'ip',
      'src',
      '10.0.0.7/32',
      'match',
      'ip',
      'sport',
      '5432',
      '0xffff',
      'flowid',
      '4744:2',
    ]);
  });

  it('refuses an ifb named like the device', () => {
    expect(() =>
      compileNetworkFault(net({ netem: { delay: '10ms' }, direction: 'ingress' }), { ifbDevice: 'eth0' }),
    ).toThrow(/ifbDevice/);
  });
});

describe('rollbackSteps', () => {
  it('undoes only the steps that succeeded, newest first (never an ingress qdisc we failed to add)', () => {
    const c = compileNetworkFault(net({ netem: { delay: '10ms' }, direction: 'ingress' }));
    // step 3 (add ingress) failed: someone else owns an ingress qdisc; it must not be deleted
    expect(rollbackSteps(c.undo, 3)).toEqual([
      ['tc', 'qdisc', 'del', 'dev', 'gdifb0', 'root', 'handle', '4744:', 'netem'],
      ['ip', 'link', 'del', 'gdifb0'],
    ]);
    expect(rollbackSteps(c.undo, 0)).toEqual([]);
  });
});
