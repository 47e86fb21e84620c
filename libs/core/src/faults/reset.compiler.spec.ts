import { faultSchema } from './fault.schema';
import { compileReset } from './reset.compiler';
import type { ResetFaultSpec } from './reset.schema';

const issues = (input: Record<string, unknown>) => {
  const r = faultSchema.safeParse({ kind: 'reset', target: { container: 'svc' }, ...input });
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};
const spec = (input: Record<string, unknown>) =>
  faultSchema.parse({ kind: 'reset', target: { container: 'svc' }, ...input }) as ResetFaultSpec;
const SS = ['ss', '-K', '-H', '-t', '-n', 'state', 'established'];

describe('reset fault: schema', () => {
  it('takes a blackhole matching fields', () => {
    expect(issues({ peers: ['10.0.0.0/8', { container: 'db' }], ports: [5432, '6000-6010'] })).toEqual([]);
    expect(issues({ localPorts: [80] })).toEqual([]);
    expect(issues({})).toEqual([]);
  });

  it('names the field of a hostile or wrong value', () => {
    expect(issues({ peers: ['10.0.0.1; reboot'] })).toEqual([expect.stringMatching(/^peers\.0: /)]);
    expect(issues({ peers: ['::1'] })).toEqual([expect.stringMatching(/^peers\.0: .*IPv6/)]);
    expect(issues({ peers: [{ container: '$(id)' }] })).toEqual([expect.stringMatching(/^peers\.0\.container: /)]);
    expect(issues({ ports: ['1-2; ls'] })).toEqual([expect.stringMatching(/^ports\.0: /)]);
    expect(issues({ localPorts: [70000] })).toEqual([expect.stringMatching(/^localPorts\.0: /)]);
    expect(issues({ action: 'drop' })).toEqual([expect.stringMatching(/action/)]);
  });
});

describe('reset fault: compile', () => {
  it('the ss -K argv of a blackhole resetEstablished, peers canonical', () => {
    expect(compileReset(spec({ peers: ['10.1.2.3/8', '10.0.0.5'], ports: [5432] }))).toEqual({
      argv: [...SS, '(', 'dst', '10.0.0.0/8', 'or', 'dst', '10.0.0.5/32', ')', 'and', '(', 'dport', '=', ':5432', ')'],
      peers: [
        { peer: '10.1.2.3/8', addresses: ['10.1.2.3/8'] },
        { peer: '10.0.0.5', addresses: ['10.0.0.5'] },
      ],
      warnings: [],
    });
  });

  it('no peers: anything but loopback, with a warning', () => {
    const c = compileReset(spec({ localPorts: [80] }));
    expect(c.argv).toEqual([...SS, 'not', 'dst', '127.0.0.0/8', 'and', '(', 'sport', '=', ':80', ')']);
    expect(c.warnings).toEqual([expect.stringMatching(/no peers/)]);
  });

  it('refuses unresolved container peers and a peer resolved to nothing', () => {
    expect(() => compileReset(spec({ peers: [{ container: 'db' }] }))).toThrow(/resolved/);
    expect(() =>
      compileReset(spec({ peers: [{ container: 'db' }] }), [{ peer: 'container db', addresses: [] }]),
    ).toThrow(/no address/);
  });
});
