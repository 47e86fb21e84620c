import { compileNetworkFault } from './network-fault.compiler';
import { faultSchema, type NetworkFaultSpec } from './fault.schema';
import { LedgerArgvError, assertLedgerArgv, ledgerArgvRefusal } from './ledger-argv';

const compile = (extra: Record<string, unknown>) =>
  compileNetworkFault(
    faultSchema.parse({
      kind: 'network',
      target: { container: 'x' },
      netem: { delay: '100ms', loss: 1 },
      ...extra,
    }) as NetworkFaultSpec,
  );

describe('ledger argv allow-list', () => {
  it('accepts every revert and verify argv the compiler writes (egress, scoped, ingress)', () => {
    for (const c of [
      compile({}),
      compile({ scope: { rules: [{ destinations: ['10.0.0.0/8'], ports: [5432] }] } }),
      compile({ direction: 'ingress', scope: { rules: [{ ports: [80] }] } }),
    ]) {
      for (const argv of c.revert) expect(ledgerArgvRefusal(argv, 'revert')).toBeNull();
      for (const argv of c.verify) expect(ledgerArgvRefusal(argv, 'verify')).toBeNull();
    }
  });

  it.each([
    [['sh', '-c', 'reboot'], /only tc qdisc del dev/],
    [['ip', 'netns', 'exec', 'x', 'sh'], /only tc qdisc del dev/],
    [['tc', '-batch', '/tmp/x'], /only tc qdisc del dev/],
    [['tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'netem', 'loss', '100%'], /only tc qdisc del dev/],
    [['tc', 'qdisc', 'del', 'dev', 'eth0', '-batch'], /"-batch" is not a device/],
    [['tc', 'qdisc', 'del', 'dev', 'eth0', 'root;reboot'], /is not a device/],
    [['tc', 'qdisc', 'del', 'dev'], /no device/],
    [['tc', 'qdisc', 'del', 'dev', ...Array(20).fill('x')], /too many words/],
    ['tc qdisc del dev eth0 root', /not a list of words/],
    [['tc', 'qdisc', 'del', 'dev', 7], /not a list of words/],
  ])('refuses %j for revert', (argv, reason) => {
    expect(ledgerArgvRefusal(argv, 'revert')).toMatch(reason);
  });

  it('keeps the uses apart: a delete is no verification, a show no revert', () => {
    expect(ledgerArgvRefusal(['tc', 'qdisc', 'del', 'dev', 'eth0', 'root'], 'verify')).toMatch(/only tc -j qdisc show/);
    expect(ledgerArgvRefusal(['tc', '-j', 'qdisc', 'show', 'dev', 'eth0'], 'revert')).toMatch(/only tc qdisc del/);
  });

  it('throws an error that names the argv and the use', () => {
    expect(() => assertLedgerArgv(['sh', '-c', 'id'], 'revert')).toThrow(LedgerArgvError);
    expect(() => assertLedgerArgv(['sh', '-c', 'id'], 'revert')).toThrow(
      /refused to run \["sh","-c","id"\] from the lease ledger \(revert\)/,
    );
  });
});
