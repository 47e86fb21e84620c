import {
  canonicalIpv4Cidr,
  compileBlackhole,
  verifyBlackhole,
  verifyBlackholeReverted,
  type IptablesTool,
} from './blackhole.compiler';
import { faultSchema, type BlackholeFaultSpec } from './fault.schema';

const spec = (extra: Record<string, unknown>) =>
  faultSchema.parse({ kind: 'blackhole', target: { container: 'svc' }, ...extra }) as BlackholeFaultSpec;
const compile = (extra: Record<string, unknown>, tool: IptablesTool = 'iptables-legacy') =>
  compileBlackhole(spec(extra), { id: '0badcafe', tool });
const L = ['iptables-legacy', '-w'];
const OUT = 'GAMEDAY-0badcafe-OUT';
const IN = 'GAMEDAY-0badcafe-IN';
const JUMP_OUT = ['!', '-o', 'lo', '-m', 'comment', '--comment', 'gameday:0badcafe', '-j', OUT];
const JUMP_IN = ['!', '-i', 'lo', '-m', 'comment', '--comment', 'gameday:0badcafe', '-j', IN];

describe('compileBlackhole: golden argv', () => {
  it('egress drop to one peer port: chain, rules, then the jump last', () => {
    const c = compile({ direction: 'egress', peers: ['10.0.0.5'], ports: [5432, '6000-6010'] });
    expect(c.apply).toEqual([
      [...L, '-N', OUT],
      [
        ...L,
        '-A',
        OUT,
        '-d',
        '10.0.0.5/32',
        '-p',
        'tcp',
        '-m',
        'multiport',
        '--dports',
        '5432,6000:6010',
        '-j',
        'DROP',
      ],
      [
        ...L,
        '-A',
        OUT,
        '-d',
        '10.0.0.5/32',
        '-p',
        'udp',
        '-m',
        'multiport',
        '--dports',
        '5432,6000:6010',
        '-j',
        'DROP',
      ],
      [...L, '-I', 'OUTPUT', '1', ...JUMP_OUT],
    ]);
    expect(c.undo).toEqual([
      [...L, '-X', OUT],
      [...L, '-F', OUT],
      [...L, '-F', OUT],
      [...L, '-D', 'OUTPUT', ...JUMP_OUT],
    ]);
    expect(c.revert).toEqual([
      [...L, '-D', 'OUTPUT', ...JUMP_OUT],
      [...L, '-F', OUT],
      [...L, '-X', OUT],
    ]);
    expect(c.verify).toEqual([[...L, '-t', 'filter', '-S']]);
    expect(c.chains).toEqual([OUT]);
    expect(c.expected.lines).toEqual([
      `-N ${OUT}`,
      `-A ${OUT} -d 10.0.0.5/32 -p tcp -m multiport --dports 5432,6000:6010 -j DROP`,
      `-A ${OUT} -d 10.0.0.5/32 -p udp -m multiport --dports 5432,6000:6010 -j DROP`,
      `-A OUTPUT ! -o lo -m comment --comment gameday:0badcafe -j ${OUT}`,
    ]);
    expect(c.warnings).toEqual([]);
  });

  it('ingress reject on the target own port: destination port on the way in, TCP reset', () => {
    const c = compile({ direction: 'ingress', localPorts: [8080], protocol: 'tcp', action: 'reject' });
    expect(c.apply).toEqual([
      [...L, '-N', IN],
      [
        ...L,
        '-A',
        IN,
        '-p',
        'tcp',
        '-m',
        'multiport',
        '--dports',
        '8080',
        '-j',
        'REJECT',
        '--reject-with',
        'tcp-reset',
      ],
      [...L, '-I', 'INPUT', '1', ...JUMP_IN],
    ]);
    expect(c.warnings).toEqual(['no peers: every IPv4 peer matches (IPv6 traffic is not blackholed)']);
  });

  it('both directions: peers as destination out and source in, ports flipped, both jumps after both chains', () => {
    const c = compile({ peers: ['10.1.2.3/16', '192.168.0.9'], ports: [53], localPorts: [80], protocol: 'udp' });
    expect(c.chains).toEqual([OUT, IN]);
    expect(c.expected.lines).toEqual([
      `-N ${OUT}`,
      `-A ${OUT} -d 10.1.0.0/16 -p udp -m multiport --dports 53 -m multiport --sports 80 -j DROP`,
      `-A ${OUT} -d 192.168.0.9/32 -p udp -m multiport --dports 53 -m multiport --sports 80 -j DROP`,
      `-N ${IN}`,
      `-A ${IN} -s 10.1.0.0/16 -p udp -m multiport --sports 53 -m multiport --dports 80 -j DROP`,
      `-A ${IN} -s 192.168.0.9/32 -p udp -m multiport --sports 53 -m multiport --dports 80 -j DROP`,
      `-A OUTPUT ! -o lo -m comment --comment gameday:0badcafe -j ${OUT}`,
      `-A INPUT ! -i lo -m comment --comment gameday:0badcafe -j ${IN}`,
    ]);
    expect(c.apply.slice(-2)).toEqual([
      [...L, '-I', 'OUTPUT', '1', ...JUMP_OUT],
      [...L, '-I', 'INPUT', '1', ...JUMP_IN],
    ]);
    expect(c.revert).toEqual([
      [...L, '-D', 'OUTPUT', ...JUMP_OUT],
      [...L, '-D', 'INPUT', ...JUMP_IN],
      [...L, '-F', OUT],
      [...L, '-X', OUT],
      [...L, '-F', IN],
      [...L, '-X', IN],
    ]);
    expect(c.apply).toHaveLength(c.undo.length);
  });

  it.each([
    ['drop, any protocol', { action: 'drop' }, ['-j DROP']],
    [
      'reject, any protocol: TCP reset first, then port-unreachable',
      { action: 'reject' },
      ['-p tcp -j REJECT --reject-with tcp-reset', '-j REJECT --reject-with icmp-port-unreachable'],
    ],
    ['reject udp', { action: 'reject', protocol: 'udp' }, ['-p udp -j REJECT --reject-with icmp-port-unreachable']],
    ['reject icmp', { action: 'reject', protocol: 'icmp' }, ['-p icmp -j REJECT --reject-with icmp-port-unreachable']],
    ['drop tcp', { protocol: 'tcp' }, ['-p tcp -j DROP']],
    [
      'reject with ports, any protocol',
      { action: 'reject', ports: [80] },
      [
        '-p tcp -m multiport --dports 80 -j REJECT --reject-with tcp-reset',
        '-p udp -m multiport --dports 80 -j REJECT --reject-with icmp-port-unreachable',
      ],
    ],
  ])('%s', (_what, extra, rules) => {
    const c = compile({ direction: 'egress', ...extra });
    expect(c.expected.lines.filter((l) => l.startsWith(`-A ${OUT} `))).toEqual(rules.map((r) => `-A ${OUT} ${r}`));
  });

  it('reject both ways lets our own resets and port-unreachables out first (else OUTPUT swallows them)', () => {
    const c = compile({ action: 'reject', peers: ['10.0.0.5'] });
    expect(c.expected.lines.slice(0, 5)).toEqual([
      `-N ${OUT}`,
      `-A ${OUT} -p tcp -m tcp --tcp-flags RST RST -j RETURN`,
      `-A ${OUT} -p icmp -m icmp --icmp-type 3/3 -j RETURN`,
      `-A ${OUT} -d 10.0.0.5/32 -p tcp -j REJECT --reject-with tcp-reset`,
      `-A ${OUT} -d 10.0.0.5/32 -j REJECT --reject-with icmp-port-unreachable`,
    ]);
    expect(c.expected.lines.filter((l) => l.includes('RETURN'))).toHaveLength(2);
    expect(compile({ action: 'reject', direction: 'egress' }).expected.lines.join('\n')).not.toMatch(/RETURN/);
    expect(compile({ action: 'drop', peers: ['10.0.0.5'] }).expected.lines.join('\n')).not.toMatch(/RETURN/);
  });

  it('a /0 peer is any address (iptables prints none)', () => {
    const c = compile({ direction: 'egress', peers: ['0.0.0.0/0'] });
    expect(c.apply[1]).toEqual([...L, '-A', OUT, '-j', 'DROP']);
  });

  it('writes the variant the probe chose, in every argv', () => {
    const c = compile({ peers: ['10.0.0.1'] }, 'iptables-nft');
    expect(new Set([...c.apply, ...c.revert, ...c.verify].map((a) => a[0]))).toEqual(new Set(['iptables-nft']));
    expect(c.expected.tool).toBe('iptables-nft');
  });

  it('refuses an id or a tool it would not write', () => {
    expect(() => compileBlackhole(spec({ peers: ['10.0.0.1'] }), { id: 'x;reboot', tool: 'iptables-legacy' })).toThrow(
      /8 hex digits/,
    );
    expect(() =>
      compileBlackhole(spec({ peers: ['10.0.0.1'] }), { id: '0badcafe', tool: 'iptables' as IptablesTool }),
    ).toThrow(/unknown iptables tool/);
  });

  it('canonical CIDRs', () => {
    expect(canonicalIpv4Cidr('10.0.0.5')).toBe('10.0.0.5/32');
    expect(canonicalIpv4Cidr('10.1.2.3/8')).toBe('10.0.0.0/8');
    expect(canonicalIpv4Cidr('255.255.255.255/31')).toBe('255.255.255.254/31');
    expect(canonicalIpv4Cidr('1.2.3.4/0')).toBe('0.0.0.0/0');
  });
});

describe('verifyBlackhole', () => {
  const c = compile({ direction: 'egress', peers: ['10.0.0.5'], ports: [5432], protocol: 'tcp' });
  const docker = ['-P INPUT ACCEPT', '-P FORWARD ACCEPT', '-P OUTPUT ACCEPT'];
  // what iptables-legacy -S printed for these rules in a container's netns
  const applied = [
    ...docker,
    `-N ${OUT}`,
    `-A OUTPUT ! -o lo -m comment --comment "gameday:0badcafe" -j ${OUT}`,
    `-A ${OUT} -d 10.0.0.5/32 -p tcp -m multiport --dports 5432 -j DROP`,
  ].join('\n');

  it('accepts what iptables prints back (quotes and line order of the table)', () => {
    expect(verifyBlackhole(c.expected, applied)).toEqual({ ok: true });
  });

  it('names a rule missing, a jump removed and a rule added by someone else', () => {
    const tampered = applied
      .replace(`-A OUTPUT ! -o lo -m comment --comment "gameday:0badcafe" -j ${OUT}\n`, '')
      .concat(`\n-A ${OUT} -j ACCEPT`);
    expect(verifyBlackhole(c.expected, tampered)).toEqual({
      ok: false,
      reasons: [
        `missing: -A OUTPUT ! -o lo -m comment --comment gameday:0badcafe -j ${OUT}`,
        `unexpected: -A ${OUT} -j ACCEPT`,
      ],
    });
    expect(verifyBlackhole(c.expected, docker.join('\n'))).toMatchObject({ ok: false });
  });

  it('reverted: nothing of ours left; names what is', () => {
    expect(verifyBlackholeReverted(c.expected, docker.join('\n'))).toEqual({ ok: true });
    expect(verifyBlackholeReverted(c.expected, applied)).toMatchObject({
      ok: false,
      reasons: expect.arrayContaining([`left behind: -N ${OUT}`]),
    });
  });
});

describe('compileBlackhole: resolved container and compose peers', () => {
  const s = spec({ direction: 'egress', peers: [{ container: 'db' }, '10.0.0.5'], ports: [5432], protocol: 'tcp' });

  it('one rule per address, duplicates once, and the peers kept for the lease', () => {
    const peers = [
      { peer: 'container db', addresses: ['172.18.0.9', '172.18.0.10'] },
      { peer: '10.0.0.5', addresses: ['10.0.0.5', '172.18.0.9'] },
    ];
    const c = compileBlackhole(s, { id: '0badcafe', tool: 'iptables-legacy', peers });
    expect(c.expected.lines.filter((l) => l.startsWith(`-A ${OUT}`))).toEqual([
      `-A ${OUT} -d 172.18.0.9/32 -p tcp -m multiport --dports 5432 -j DROP`,
      `-A ${OUT} -d 172.18.0.10/32 -p tcp -m multiport --dports 5432 -j DROP`,
      `-A ${OUT} -d 10.0.0.5/32 -p tcp -m multiport --dports 5432 -j DROP`,
    ]);
    expect(c.peers).toEqual(peers);
  });

  it('refuses unresolved container peers, and a peer resolved to nothing (never a rule matching every peer)', () => {
    expect(() => compileBlackhole(s, { id: '0badcafe', tool: 'iptables-legacy' })).toThrow(/must be resolved/);
    expect(() =>
      compileBlackhole(s, {
        id: '0badcafe',
        tool: 'iptables-legacy',
        peers: [
          { peer: 'container db', addresses: [] },
          { peer: '10.0.0.5', addresses: ['10.0.0.5'] },
        ],
      }),
    ).toThrow('peer container db resolves to no address: refusing a rule that would match every peer');
    expect(() => compileBlackhole(s, { id: '0badcafe', tool: 'iptables-legacy', peers: [] })).toThrow(
      'the peers resolve to no address',
    );
  });

  it('address peers alone need no resolution and are recorded as given', () => {
    expect(compile({ peers: ['10.0.0.5'] }).peers).toEqual([{ peer: '10.0.0.5', addresses: ['10.0.0.5'] }]);
  });
});
