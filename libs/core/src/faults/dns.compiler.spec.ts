import { compileDns, dnsdistConfig, verifyDns, verifyDnsReverted, type IptablesTool } from './index';
import { faultSchema, type DnsFaultSpec } from './fault.schema';
import { leaseLedgerRefusal, ledgerArgvRefusal } from './ledger-argv';

const spec = (extra: Record<string, unknown>) =>
  faultSchema.parse({ kind: 'dns', target: { container: 'x' }, ...extra }) as DnsFaultSpec;
const compile = (extra: Record<string, unknown>, tool: IptablesTool = 'iptables-nft', nameservers = ['127.0.0.11']) =>
  compileDns(spec(extra), { id: '0badcafe', tool, port: 53531, nameservers });

const CHAIN = 'GAMEDAY-0badcafe-DNS';
const JUMP = ['-m', 'comment', '--comment', 'gameday:0badcafe', '-j', CHAIN];
const nat = (...w: string[]) => ['iptables-nft', '-w', '-t', 'nat', ...w];
const HEAD = [
  '-- gameday dns fault 0badcafe',
  "setLocal('127.0.0.1:53531')",
  "setACL({'0.0.0.0/0', '::/0'})",
  "setSecurityPollSuffix('')",
  "newServer({address='127.0.0.11:53'}):setUp()",
  'local function within(n) local s = newSuffixMatchNode() s:add(n) return SuffixMatchNodeRule(s, true) end',
  'local function below(n) return AndRule({within(n), NotRule(QNameRule(n))}) end',
];

describe('dns compiler: the resolver configuration', () => {
  it.each([
    [{ action: 'nxdomain' }, 'RCodeAction(DNSRCode.NXDOMAIN)'],
    [{ action: 'servfail' }, 'RCodeAction(DNSRCode.SERVFAIL)'],
    [{ action: 'timeout' }, 'DropAction()'],
    [{ action: 'delay', delayMs: 750 }, 'DelayAction(750)'],
    [{ action: 'address', addresses: ['10.9.8.7', 'FD00::1'] }, "SpoofAction({'10.9.8.7', 'fd00::1'})"],
  ])('%j → %s, one rule for every pattern (lower-cased; *. only below)', (extra, action) => {
    expect(compile({ names: ['Service2', '*.example.com'], ...extra }).config).toBe(
      [...HEAD, `addAction(OrRule({within('service2'), below('example.com')}), ${action})`, ''].join('\n'),
    );
  });

  it('forwards to every nameserver, IPv6 ones in brackets', () => {
    const config = dnsdistConfig(spec({ names: ['db'], action: 'timeout' }), {
      id: '0badcafe',
      port: 53531,
      nameservers: ['10.0.0.2', 'fd00::53'],
    });
    expect(config).toContain(
      "newServer({address='10.0.0.2:53'}):setUp()\nnewServer({address='[fd00::53]:53'}):setUp()\n",
    );
  });
});

describe('dns compiler: the nat rules and the helper commands', () => {
  it('starts the resolver from the words only, and applies: resolver up, chain, rules, jump first, flush', () => {
    const c = compile({ names: ['svc-a', '*.b.c'], action: 'address', addresses: ['10.0.0.5'] });
    expect(c.start).toEqual([
      'gameday-helper',
      'dnsstart',
      '0badcafe',
      '53531',
      'address',
      '0',
      '1',
      '127.0.0.11',
      '1',
      '10.0.0.5',
      'svc-a',
      '*.b.c',
    ]);
    const rules = [
      ['-m', 'owner', '--uid-owner', '53530', '-j', 'RETURN'],
      ['-d', '127.0.0.11/32', '-p', 'udp', '-m', 'udp', '--dport', '53', '-j', 'REDIRECT', '--to-ports', '53531'],
      ['-d', '127.0.0.11/32', '-p', 'tcp', '-m', 'tcp', '--dport', '53', '-j', 'REDIRECT', '--to-ports', '53531'],
    ];
    expect(c.apply).toEqual([
      ['gameday-helper', 'dnsready'],
      nat('-N', CHAIN),
      ...rules.map((r) => nat('-A', CHAIN, ...r)),
      nat('-I', 'OUTPUT', '1', ...JUMP),
      ['gameday-helper', 'dnsflush'],
    ]);
    // undone newest first: the jump, the rules, the chain, then the resolver stops (and the flows go)
    expect(c.undo).toEqual([
      ['gameday-helper', 'dnsstop'],
      nat('-X', CHAIN),
      nat('-F', CHAIN),
      nat('-F', CHAIN),
      nat('-F', CHAIN),
      nat('-D', 'OUTPUT', ...JUMP),
      null,
    ]);
    expect(c.revert).toEqual([
      nat('-D', 'OUTPUT', ...JUMP),
      nat('-F', CHAIN),
      nat('-X', CHAIN),
      ['gameday-helper', 'dnsstop'],
    ]);
    expect(c.verify).toEqual([nat('-S'), ['gameday-helper', 'dnscheck']]);
    expect(c.expected.lines).toEqual([
      `-N ${CHAIN}`,
      `-A OUTPUT -m comment --comment gameday:0badcafe -j ${CHAIN}`,
      ...rules.map((r) => ['-A', CHAIN, ...r].join(' ')),
    ]);
  });

  it('redirects queries to each IPv4 nameserver; IPv6 ones are named in a warning; none is refused', () => {
    const c = compile({ names: ['db'], action: 'timeout' }, 'iptables-legacy', ['10.0.0.2', 'fd00::53', '10.0.0.3']);
    expect(c.apply.filter((a) => a.includes('REDIRECT')).map((a) => a[a.indexOf('-d') + 1])).toEqual([
      '10.0.0.2/32',
      '10.0.0.2/32',
      '10.0.0.3/32',
      '10.0.0.3/32',
    ]);
    expect(c.warnings).toContainEqual(expect.stringContaining('fd00::53'));
    expect(() => compile({ names: ['db'], action: 'timeout' }, 'iptables-nft', ['fd00::53'])).toThrow(
      /no IPv4 nameserver/,
    );
    expect(() =>
      compileDns(spec({ names: ['db'], action: 'timeout' }), {
        id: 'x',
        tool: 'iptables-nft',
        port: 53531,
        nameservers: ['127.0.0.11'],
      }),
    ).toThrow(/8 hex/);
    expect(() =>
      compileDns(spec({ names: ['db'], action: 'timeout' }), {
        id: '0badcafe',
        tool: 'iptables-nft',
        port: 53,
        nameservers: ['127.0.0.11'],
      }),
    ).toThrow(/port/);
  });

  it("writes only argv the kind's ledger allow-list accepts, and the allow-list refuses others", () => {
    for (const tool of ['iptables-legacy', 'iptables-nft'] as const) {
      const c = compile({ names: ['db'], action: 'nxdomain' }, tool);
      expect(leaseLedgerRefusal({ kind: 'dns', revertArgv: c.revert, verifyArgv: c.verify })).toBeNull();
    }
    for (const argv of [
      nat('-F', 'DOCKER_OUTPUT'),
      nat('-D', 'OUTPUT', '-d', '127.0.0.11/32', '-j', 'DOCKER_OUTPUT'),
      nat('-F'),
      ['iptables-nft', '-w', '-F', CHAIN],
      ['gameday-helper', 'dnsstart', '0badcafe'],
      ['conntrack', '-F'],
    ])
      expect(ledgerArgvRefusal(argv, 'revert')).not.toBeNull();
  });
});

describe('dns read-back', () => {
  const c = compile({ names: ['db'], action: 'nxdomain' });
  const natS = (ours: string[]) =>
    [
      '-P OUTPUT ACCEPT',
      `-N ${CHAIN}`,
      '-N DOCKER_OUTPUT',
      ...ours,
      '-A OUTPUT -d 127.0.0.11/32 -j DOCKER_OUTPUT',
    ].join('\n');
  const applied = natS([
    `-A OUTPUT -m comment --comment "gameday:0badcafe" -j ${CHAIN}`,
    ...c.expected.lines.slice(2),
  ]).replace(`-N ${CHAIN}\n`, `-N ${CHAIN}\n`);
  const alive = 'dns_resolver=alive\ndns_answer=ok\n';

  it('is ok with every line in place and the resolver answering', () => {
    expect(verifyDns(c.expected, applied, alive)).toEqual({ ok: true });
  });

  it('names a missing rule, a jump not first, a dead or silent resolver', () => {
    expect(verifyDns(c.expected, applied.replace(/.*udp.*\n/, ''), alive)).toEqual({
      ok: false,
      reasons: [`missing: ${c.expected.lines[3]}`],
    });
    const late = applied.replace(/^(-A OUTPUT -m comment.*)\n(-A .*)/m, '$2\n$1');
    expect(verifyDns(c.expected, `-A OUTPUT -j FIRST\n${late}`, alive).ok).toBe(false);
    expect(verifyDns(c.expected, applied, 'dns_resolver=gone\ndns_answer=none\n')).toEqual({
      ok: false,
      reasons: ['the resolver is not running'],
    });
    expect(verifyDns(c.expected, applied, 'dns_resolver=alive\ndns_answer=none\n')).toEqual({
      ok: false,
      reasons: ['the resolver did not answer a probe query'],
    });
  });

  it('after a revert: nothing of ours in the nat table', () => {
    expect(verifyDnsReverted(c.expected, natS([]).replace(`-N ${CHAIN}\n`, ''))).toEqual({ ok: true });
    expect(verifyDnsReverted(c.expected, applied).ok).toBe(false);
  });
});
