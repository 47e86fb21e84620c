import { compileBlackhole } from './blackhole.compiler';
import { blackholeResetArgv } from './blackhole-reset';
import { faultSchema, type BlackholeFaultSpec } from './fault.schema';

const spec = (extra: Record<string, unknown>) =>
  faultSchema.parse({ kind: 'blackhole', target: { container: 'svc' }, ...extra }) as BlackholeFaultSpec;
const SS = ['ss', '-K', '-H', '-t', '-n', 'state', 'established'];

describe('blackhole resetEstablished: the ss -K argv', () => {
  it('remote address among the peers and remote port among the ports', () => {
    expect(blackholeResetArgv({ ports: [5432] }, ['10.0.0.5/32', '10.1.0.0/16'])).toEqual([
      ...SS,
      ...['(', 'dst', '10.0.0.5/32', 'or', 'dst', '10.1.0.0/16', ')'],
      ...['and', '(', 'dport', '=', ':5432', ')'],
    ]);
  });

  it('ranges and the target own ports; no peers: anything but loopback (the rules skip lo)', () => {
    expect(blackholeResetArgv({ localPorts: [80, '8000-8100'] }, undefined)).toEqual([
      ...SS,
      ...['not', 'dst', '127.0.0.0/8'],
      ...['and', '(', 'sport', '=', ':80', 'or', '(', 'sport', '>=', ':8000', 'and', 'sport', '<=', ':8100', ')', ')'],
    ]);
  });

  it('the compiler appends it after the jumps, with nothing to undo, and marks the expected rules', () => {
    const c = compileBlackhole(
      spec({ direction: 'egress', peers: ['10.0.0.5'], ports: [5432], resetEstablished: true }),
      {
        id: '0badcafe',
        tool: 'iptables-legacy',
      },
    );
    expect(c.apply.at(-2)).toEqual(expect.arrayContaining(['-I', 'OUTPUT', '1']));
    expect(c.apply.at(-1)).toEqual([...SS, '(', 'dst', '10.0.0.5/32', ')', 'and', '(', 'dport', '=', ':5432', ')']);
    expect(c.undo.at(-1)).toBeNull();
    expect(c.undo).toHaveLength(c.apply.length);
    expect(c.expected.reset).toBe(true);
    // nothing of it in the revert or the verify: a destroyed socket has nothing to restore
    expect(c.revert.flat()).not.toContain('ss');
  });

  it('is absent unless asked, and a /0 peer counts as any address', () => {
    const plain = compileBlackhole(spec({ peers: ['10.0.0.5'] }), { id: '0badcafe', tool: 'iptables-legacy' });
    expect(plain.apply.flat()).not.toContain('ss');
    expect(plain.expected.reset).toBeUndefined();
    const any = compileBlackhole(spec({ peers: ['0.0.0.0/0'], ports: [443], resetEstablished: true }), {
      id: '0badcafe',
      tool: 'iptables-nft',
    });
    expect(any.apply.at(-1)).toEqual([...SS, 'not', 'dst', '127.0.0.0/8', 'and', '(', 'dport', '=', ':443', ')']);
  });
});

describe('blackhole resetEstablished: the schema', () => {
  const issues = (input: Record<string, unknown>) => {
    const r = faultSchema.safeParse({ kind: 'blackhole', target: { container: 'svc' }, ...input });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('accepts it with tcp or all', () => {
    expect(issues({ peers: ['10.0.0.5'], resetEstablished: true })).toEqual([]);
    expect(issues({ peers: ['10.0.0.5'], protocol: 'tcp', resetEstablished: false })).toEqual([]);
  });

  it('names the field: udp or icmp, or not a boolean', () => {
    expect(issues({ peers: ['10.0.0.5'], protocol: 'udp', resetEstablished: true })).toEqual([
      expect.stringMatching(/^resetEstablished: .*TCP connections/),
    ]);
    expect(issues({ peers: ['10.0.0.5'], protocol: 'icmp', resetEstablished: true })).toEqual([
      expect.stringMatching(/^resetEstablished: /),
    ]);
    expect(issues({ peers: ['10.0.0.5'], resetEstablished: 'yes; rm -rf /' })).toEqual([
      expect.stringMatching(/^resetEstablished: /),
    ]);
  });
});
