import { compileBlackhole, type IptablesTool } from './blackhole.compiler';
import { faultSchema, type BlackholeFaultSpec } from './fault.schema';
import { leaseLedgerRefusal, ledgerArgvRefusal } from './ledger-argv';

const spec = (extra: Record<string, unknown>) =>
  faultSchema.parse({ kind: 'blackhole', target: { container: 'x' }, ...extra }) as BlackholeFaultSpec;
const compile = (extra: Record<string, unknown>, tool: IptablesTool = 'iptables-legacy') =>
  compileBlackhole(spec(extra), { id: '0badcafe', tool });

const CHAIN = 'GAMEDAY-0badcafe-OUT';
const JUMP = ['!', '-o', 'lo', '-m', 'comment', '--comment', 'gameday:0badcafe', '-j', CHAIN];

describe('ledger argv allow-list: blackhole', () => {
  it('accepts every revert and verify argv the blackhole compiler writes (both tools, every direction)', () => {
    for (const tool of ['iptables-legacy', 'iptables-nft'] as const)
      for (const c of [
        compile({ direction: 'both', peers: ['10.0.0.0/8'] }, tool),
        compile({ direction: 'egress' }, tool),
        compile({ direction: 'ingress', localPorts: [80], action: 'reject' }, tool),
      ]) {
        for (const argv of c.revert) expect(ledgerArgvRefusal(argv, 'revert')).toBeNull();
        for (const argv of c.verify) expect(ledgerArgvRefusal(argv, 'verify')).toBeNull();
        const lease = { kind: 'blackhole' as const, revertArgv: c.revert, verifyArgv: c.verify };
        expect(leaseLedgerRefusal(lease)).toBeNull();
      }
  });

  it.each([
    ['the plain iptables (whichever variant the image links)', ['iptables', '-w', '-F', CHAIN]],
    ['ip6tables', ['ip6tables-legacy', '-w', '-F', CHAIN]],
    ['a path to iptables', ['/sbin/iptables-legacy', '-w', '-F', CHAIN]],
    ['iptables-restore', ['iptables-legacy-restore', '/tmp/x']],
    ['flushing a built-in chain', ['iptables-legacy', '-w', '-F', 'INPUT']],
    ['flushing the whole table', ['iptables-legacy', '-w', '-F']],
    ["deleting Docker's chain", ['iptables-legacy', '-w', '-X', 'DOCKER_OUTPUT']],
    ['another table', ['iptables-legacy', '-w', '-t', 'nat', '-F', CHAIN]],
    ['a chain named like ours', ['iptables-legacy', '-w', '-F', 'GAMEDAY-0badcafe-OUTX']],
    ['a chain with a shell word', ['iptables-legacy', '-w', '-F', 'GAMEDAY-0badcafe-OUT;reboot']],
    ['adding a rule', ['iptables-legacy', '-w', '-I', 'OUTPUT', '1', ...JUMP]],
    ['a policy change', ['iptables-legacy', '-w', '-P', 'OUTPUT', 'DROP']],
    ['a jump delete without our comment', ['iptables-legacy', '-w', '-D', 'OUTPUT', '-j', CHAIN]],
    [
      'a jump delete with a comment not ours',
      ['iptables-legacy', '-w', '-D', 'OUTPUT', ...JUMP.slice(0, 6), 'docker', ...JUMP.slice(7)],
    ],
    ['a delete by number', ['iptables-legacy', '-w', '-D', 'OUTPUT', '1']],
    ['a jump to ACCEPT', ['iptables-legacy', '-w', '-D', 'OUTPUT', ...JUMP.slice(0, 8), 'ACCEPT']],
    ['the OUTPUT jump on INPUT', ['iptables-legacy', '-w', '-D', 'INPUT', ...JUMP]],
    ['a trailing option', ['iptables-legacy', '-w', '-X', CHAIN, '--modprobe=/tmp/x']],
    ['no -w', ['iptables-legacy', '-X', CHAIN]],
  ])('refuses %s for revert', (_what, argv) => {
    expect(ledgerArgvRefusal(argv, 'revert')).not.toBeNull();
  });

  it.each([
    // (the nat table's listing is a dns fault's read-back: allowed since that kind came)
    ['the mangle table', ['iptables-legacy', '-w', '-t', 'mangle', '-S']],
    ['a save with counters', ['iptables-legacy-save', '-c']],
    ['a listing with a trailing option', ['iptables-legacy', '-w', '-t', 'filter', '-S', '--modprobe=/tmp/x']],
    ['a flush', ['iptables-legacy', '-w', '-F', CHAIN]],
  ])('refuses %s for verify', (_what, argv) => {
    expect(ledgerArgvRefusal(argv, 'verify')).not.toBeNull();
  });
});
