import { compileNetworkFault, DEFAULT_IFB_DEVICE } from './network-fault.compiler';
import { faultSchema, type NetworkFaultSpec } from './fault.schema';
import { LedgerArgvError, assertLedgerArgv, leaseLedgerRefusal, ledgerArgvRefusal } from './ledger-argv';

const compile = (extra: Record<string, unknown>) =>
  compileNetworkFault(
    faultSchema.parse({
      kind: 'network',
      target: { container: 'x' },
      netem: { delay: '100ms', loss: 1 },
      ...extra,
    }) as NetworkFaultSpec,
  );

const ROOT_DEL = ['tc', 'qdisc', 'del', 'dev', 'eth0', 'root', 'handle', '4744:', 'netem'];

describe('ledger argv allow-list', () => {
  it('accepts every revert and verify argv the compiler writes (egress, scoped, ingress, excludes, other devices)', () => {
    for (const c of [
      compile({}),
      compile({ device: 'ens3.100' }),
      compile({ scope: { rules: [{ destinations: ['10.0.0.0/8'], ports: [5432] }] } }),
      compile({ exclude: ['10.1.0.0/16'] }),
      compile({ direction: 'ingress', scope: { rules: [{ ports: [80] }] } }),
      compile({ direction: 'ingress' }),
    ]) {
      for (const argv of c.revert) expect(ledgerArgvRefusal(argv, 'revert')).toBeNull();
      for (const argv of c.verify) expect(ledgerArgvRefusal(argv, 'verify')).toBeNull();
    }
    expect(ledgerArgvRefusal(['ip', 'link', 'del', DEFAULT_IFB_DEVICE], 'revert')).toBeNull();
  });

  // Each is one word away from a command GameDay writes, or a classic way to run something else.
  it.each([
    ['another program', ['sh', '-c', 'reboot']],
    ['a shell through env', ['env', 'tc', 'qdisc', 'del', 'dev', 'eth0', 'root', 'handle', '4744:', 'netem']],
    ['a path to tc', ['/sbin/tc', 'qdisc', 'del', 'dev', 'eth0', 'root', 'handle', '4744:', 'netem']],
    ['ip netns exec', ['ip', 'netns', 'exec', 'x', 'sh']],
    ['ip -n (another netns)', ['ip', '-n', 'x', 'link', 'del', 'gdifb0']],
    ['ip -batch', ['ip', '-batch', '/etc/x']],
    ['tc -batch', ['tc', '-batch', '/etc/x']],
    ['tc -n (another netns)', ['tc', '-n', 'x', 'qdisc', 'del', 'dev', 'eth0', 'root', 'handle', '4744:', 'netem']],
    ['tc exec', ['tc', 'exec', 'bpf', 'graft', '/sys/fs/bpf/x']],
    ['an add, not a delete', ['tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'handle', '4744:', 'netem', 'loss', '100%']],
    ['a replace', ['tc', 'qdisc', 'replace', 'dev', 'eth0', 'root', 'handle', '4744:', 'netem']],
    ["the root qdisc, whoever's it is", ['tc', 'qdisc', 'del', 'dev', 'eth0', 'root']],
    ['a root qdisc by handle only', ['tc', 'qdisc', 'del', 'dev', 'eth0', 'root', 'handle', '4744:']],
    ["another tool's handle", ['tc', 'qdisc', 'del', 'dev', 'eth0', 'root', 'handle', '1:', 'netem']],
    ['a kind GameDay never adds at the root', ['tc', 'qdisc', 'del', 'dev', 'eth0', 'root', 'handle', '4744:', 'htb']],
    ['a kind tc would load a plugin for', ['tc', 'qdisc', 'del', 'dev', 'eth0', 'root', 'handle', '4744:', '../x']],
    ['an ingress qdisc by another handle', ['tc', 'qdisc', 'del', 'dev', 'eth0', 'handle', '1:', 'ingress']],
    ['the clsact qdisc', ['tc', 'qdisc', 'del', 'dev', 'eth0', 'clsact']],
    ['a filter delete (GameDay writes none)', ['tc', 'filter', 'del', 'dev', 'eth0', 'parent', '4744:']],
    ['a trailing option', [...ROOT_DEL, '-batch']],
    ['a trailing word', [...ROOT_DEL, 'x']],
    ['a device that is an option', ['tc', 'qdisc', 'del', 'dev', '-batch', 'root', 'handle', '4744:', 'netem']],
    [
      'a device with a shell separator',
      ['tc', 'qdisc', 'del', 'dev', 'eth0;reboot', 'root', 'handle', '4744:', 'netem'],
    ],
    ['a device too long for Linux', ['tc', 'qdisc', 'del', 'dev', 'a'.repeat(16), 'root', 'handle', '4744:', 'netem']],
    ['the container interface', ['ip', 'link', 'del', 'eth0']],
    ['the loopback', ['ip', 'link', 'del', 'lo']],
    ['a link by type', ['ip', 'link', 'del', 'gdifb0', 'type', 'ifb']],
    ['a link named like ours', ['ip', 'link', 'del', 'gdifb0x']],
    ['a link delete by group', ['ip', 'link', 'del', 'group', '0']],
    ['a short form', ['ip', 'l', 'd', 'gdifb0']],
    ['no device', ['tc', 'qdisc', 'del', 'dev']],
    ['one string', 'tc qdisc del dev eth0 root handle 4744: netem'],
    ['a number among the words', ['tc', 'qdisc', 'del', 'dev', 7]],
    ['nothing', []],
  ])('refuses %s for revert', (_what, argv) => {
    expect(ledgerArgvRefusal(argv, 'revert')).not.toBeNull();
  });

  it.each([
    ['a show without JSON', ['tc', 'qdisc', 'show', 'dev', 'eth0']],
    ['every device (and so the host, under nsenter)', ['tc', '-j', 'qdisc', 'show']],
    ['a filter show on a parent not ours', ['tc', '-j', 'filter', 'show', 'dev', 'eth0', 'parent', '1:']],
    ['a show with a trailing option', ['tc', '-j', 'qdisc', 'show', 'dev', 'eth0', '-batch']],
    ['a delete', ROOT_DEL],
    ['ip netns exec', ['ip', 'netns', 'exec', 'x', 'true']],
  ])('refuses %s for verify', (_what, argv) => {
    expect(ledgerArgvRefusal(argv, 'verify')).not.toBeNull();
  });

  it('names the shapes it accepts', () => {
    expect(ledgerArgvRefusal(['sh', '-c', 'id'], 'revert')).toBe(
      'only tc qdisc del dev DEVICE root handle 4744: netem|prio, tc qdisc del dev DEVICE handle ffff: ingress, ' +
        'ip link del gdifbN, ' +
        'iptables-legacy|iptables-nft -w -D OUTPUT ! -o lo -m comment --comment gameday:ID -j GAMEDAY-ID-IN|OUT, ' +
        'iptables-legacy|iptables-nft -w -D INPUT ! -i lo -m comment --comment gameday:ID -j GAMEDAY-ID-IN|OUT, ' +
        'iptables-legacy|iptables-nft -w -F GAMEDAY-ID-IN|OUT, iptables-legacy|iptables-nft -w -X GAMEDAY-ID-IN|OUT, ' +
        'iptables-legacy|iptables-nft -w -t nat -D OUTPUT -m comment --comment gameday:ID -j GAMEDAY-ID-DNS, ' +
        'iptables-legacy|iptables-nft -w -t nat -F GAMEDAY-ID-DNS, iptables-legacy|iptables-nft -w -t nat -X GAMEDAY-ID-DNS, ' +
        'gameday-helper dnsstop, gameday-fill rm PATH ID are run from the ledger',
    );
  });

  it('throws an error that names the argv and the use', () => {
    expect(() => assertLedgerArgv(['sh', '-c', 'id'], 'revert')).toThrow(LedgerArgvError);
    expect(() => assertLedgerArgv(['sh', '-c', 'id'], 'revert')).toThrow(
      /refused to run \["sh","-c","id"\] from the lease ledger \(revert\)/,
    );
  });

  it('judges a whole lease: revert argv first, then verify argv; container leases run none', () => {
    const c = compile({ direction: 'ingress' });
    const lease = { kind: 'network' as const, revertArgv: c.revert, verifyArgv: c.verify };
    expect(leaseLedgerRefusal(lease)).toBeNull();
    expect(leaseLedgerRefusal({ ...lease, verifyArgv: [['ip', 'netns', 'exec', 'x', 'true']] })?.use).toBe('verify');
    const both = leaseLedgerRefusal({ ...lease, revertArgv: [['sh', '-c', 'id']], verifyArgv: [['id']] });
    expect(both?.use).toBe('revert');
    expect(both?.message).toMatch(/^refused to run \["sh","-c","id"\]/);
    expect(leaseLedgerRefusal({ ...lease, revertArgv: 'rm -rf /' as unknown as string[][] })?.reason).toBe(
      'not a list of commands',
    );
    expect(leaseLedgerRefusal({ kind: 'container', revertArgv: [['docker', 'unpause', 'x']] })).toBeNull();
  });
});
