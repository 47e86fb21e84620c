import { compileBlackhole } from './blackhole.compiler';
import { faultSchema, faultTargets } from './fault.schema';
import { partitionSideBlackhole, type PartitionFaultSpec } from './partition.schema';

const api = { compose: { project: 'shop', service: 'api' } };
const db = { compose: { project: 'shop', service: 'db' } };
const base = { kind: 'partition', between: [api, db] };

function issues(input: unknown): string[] {
  const r = faultSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('partition spec', () => {
  it('fills the defaults: drop everything between every container of both groups', () => {
    expect(faultSchema.parse(base)).toEqual({
      kind: 'partition',
      between: [
        { ...api, selection: { mode: 'all' } },
        { ...db, selection: { mode: 'all' } },
      ],
      action: 'drop',
      protocol: 'all',
    });
  });

  it.each([
    ['a container and labels', { between: [{ container: 'web' }, { labels: { tier: 'db' } }] }],
    [
      'reject on TCP with a reset of established connections',
      { action: 'reject', protocol: 'tcp', resetEstablished: true },
    ],
    ['a chosen count of one group', { between: [{ ...api, selection: { mode: 'count', count: 1 } }, db] }],
  ])('accepts %s', (_what, extra) => {
    expect(issues({ ...base, ...extra })).toEqual([]);
  });

  it.each([
    ['one group', { between: [api] }, 'between: between names two groups'],
    ['no group', { between: [] }, 'between: between names two groups'],
    ['three groups', { between: [api, db, { container: 'x' }] }, 'between: between names exactly two groups'],
    ['no between at all', { between: undefined }, 'between: '],
    [
      'the same group twice',
      { between: [api, { ...api, selection: { mode: 'one' } }] },
      'between.1: the two groups name the same containers',
    ],
    [
      'the same container, once with its slash',
      { between: [{ container: 'web' }, { container: '/web' }] },
      'between.1: the two groups name the same',
    ],
    [
      'the same labels in another order',
      { between: [{ labels: { a: '1', b: '2' } }, { labels: { b: '2', a: '1' } }] },
      'between.1: the two groups',
    ],
    [
      'a hostile container name',
      { between: [{ container: '$(reboot)' }, db] },
      'between.0.container: must be a Docker container name',
    ],
    [
      'a hostile compose service',
      { between: [api, { compose: { project: 'shop', service: 'db;rm -rf /' } }] },
      'between.1.compose.service: must be a Compose service name',
    ],
    ['a label key with a newline', { between: [api, { labels: { 'a\nb': 'x' } }] }, 'between.1.labels.a\nb: '],
    [
      'a group naming two things',
      { between: [{ ...api, container: 'web' }, db] },
      'between.0: target needs exactly one of',
    ],
    ['reset on UDP', { protocol: 'udp', resetEstablished: true }, 'resetEstablished: resetEstablished tears down TCP'],
    ['a peers field (a blackhole word)', { peers: ['10.0.0.1'] }, ': Unrecognized key: "peers"'],
    ['ports (not offered)', { ports: [80] }, ': Unrecognized key: "ports"'],
    ['a target beside between', { target: { container: 'web' } }, ': Unrecognized key: "target"'],
  ])('refuses %s, naming the field', (_what, extra, message) => {
    const found = issues({ ...base, ...extra });
    expect(found.some((i) => i.startsWith(message))).toBe(true);
  });

  it("names its two groups as the fault's targets, each with its path", () => {
    const spec = faultSchema.parse(base);
    expect(faultTargets(spec).map((r) => [r.path.join('.'), r.target.compose?.service])).toEqual([
      ['between.0', 'api'],
      ['between.1', 'db'],
    ]);
    expect(faultTargets(faultSchema.parse({ kind: 'container', target: { container: 'w' }, action: 'pause' }))).toEqual(
      [{ path: ['target'], target: { container: 'w', selection: { mode: 'one' } } }],
    );
  });
});

describe("a partition side's rules", () => {
  const spec = faultSchema.parse({ ...base, action: 'reject', resetEstablished: true }) as PartitionFaultSpec;

  it('are a blackhole both ways against the other group, in our chains', () => {
    const side = partitionSideBlackhole(spec, 1, [{ container: 'shop-api-1' }, { container: 'shop-api-2' }]);
    expect(side).toEqual({
      kind: 'blackhole',
      target: spec.between[1],
      action: 'reject',
      direction: 'both',
      peers: [{ container: 'shop-api-1' }, { container: 'shop-api-2' }],
      protocol: 'all',
      resetEstablished: true,
    });
    const compiled = compileBlackhole(side, {
      id: '0123abcd',
      tool: 'iptables-legacy',
      peers: [
        { peer: 'container shop-api-1', addresses: ['172.18.0.3'] },
        { peer: 'container shop-api-2', addresses: ['172.18.0.4'] },
      ],
    });
    const lines = compiled.expected.lines;
    for (const addr of ['172.18.0.3/32', '172.18.0.4/32']) {
      expect(lines).toContain(`-A GAMEDAY-0123abcd-OUT -d ${addr} -p tcp -j REJECT --reject-with tcp-reset`);
      expect(lines).toContain(`-A GAMEDAY-0123abcd-IN -s ${addr} -p tcp -j REJECT --reject-with tcp-reset`);
    }
    // nothing that matches any address: the side's other traffic is untouched
    expect(lines.filter((l) => /^-A GAMEDAY-0123abcd-(IN|OUT) /.test(l) && !/ -[sd] /.test(l))).toEqual([
      '-A GAMEDAY-0123abcd-OUT -p tcp -m tcp --tcp-flags RST RST -j RETURN',
      '-A GAMEDAY-0123abcd-OUT -p icmp -m icmp --icmp-type 3/3 -j RETURN',
    ]);
    // the reset runs last, once the rules stop new connections
    expect(compiled.apply.at(-1)?.[0]).toBe('ss');
  });

  it('refuse to compile a side whose peers resolved to nothing (a rule would match everyone)', () => {
    const side = partitionSideBlackhole(spec, 0, [{ container: 'shop-db-1' }]);
    expect(() =>
      compileBlackhole(side, {
        id: '0123abcd',
        tool: 'iptables-legacy',
        peers: [{ peer: 'container shop-db-1', addresses: [] }],
      }),
    ).toThrow(/resolves to no address/);
  });
});
