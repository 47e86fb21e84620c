import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { faultSchema, type NetworkFaultSpec } from './fault.schema';
import { compileNetworkFault } from './network-fault.compiler';
import { verifyQdiscs, verifyReverted } from './qdisc-verify';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');
const net = (input: Record<string, unknown>) =>
  faultSchema.parse({ kind: 'network', target: { container: 'svc' }, ...input }) as NetworkFaultSpec;

describe('verifyQdiscs', () => {
  const whole = compileNetworkFault(net({ netem: { delay: '500ms', jitter: '100ms' } }));

  it('accepts the tree tc reports for a whole-interface delay', () => {
    expect(verifyQdiscs(whole.expected, fixture('tc-netem-root.json'))).toEqual({ ok: true });
  });

  it('reports a missing fault and names the root that replaced it (container restarted or another tool)', () => {
    expect(verifyQdiscs(whole.expected, fixture('tc-noqueue.json'))).toEqual({
      ok: false,
      reasons: ['eth0 netem 4744: not found (root qdisc is noqueue 0:)'],
    });
  });

  it('reports changed parameters', () => {
    const changed = fixture('tc-netem-root.json')
      .replace('"delay":0.5', '"delay":0.2')
      .replace('"limit":6250', '"limit":1000');
    const out = verifyQdiscs(whole.expected, changed);
    expect(out.ok).toBe(false);
    expect(!out.ok && out.reasons).toEqual([
      'eth0 netem 4744:: limit is 1000, expected 6250',
      'eth0 netem 4744:: delay is 0.2, expected 0.5',
    ]);
  });

  it('reports a qdisc of another kind holding our handle', () => {
    const out = verifyQdiscs(whole.expected, fixture('tc-netem-root.json').replace('"kind":"netem"', '"kind":"tbf"'));
    expect(!out.ok && out.reasons).toEqual(['eth0 netem 4744:: kind is tbf']);
  });

  it('accepts the scoped prio tree and checks the netem band and loss', () => {
    const scoped = compileNetworkFault(
      net({ netem: { delay: '10ms', loss: 30 }, scope: { rules: [{ destinations: ['10.0.0.0/8'] }] } }),
    );
    expect(verifyQdiscs(scoped.expected, fixture('tc-prio-scoped.json'))).toEqual({ ok: true });
    const wrongLoss = fixture('tc-prio-scoped.json').replace('"loss":0.3', '"loss":0.1');
    expect(verifyQdiscs(scoped.expected, wrongLoss)).toEqual({
      ok: false,
      reasons: ['eth0 netem 4745:: loss-random.loss is 0.1, expected 0.3'],
    });
    const wrongParent = fixture('tc-prio-scoped.json').replace('"parent":"4744:2"', '"parent":"4744:1"');
    expect(verifyQdiscs(scoped.expected, wrongParent)).toEqual({
      ok: false,
      reasons: ['eth0 netem 4745:: parent is 4744:1, expected 4744:2'],
    });
  });

  it('checks every netem option family against tc -j output (seconds and fractions)', () => {
    const spec = net({
      netem: {
        delay: '100ms',
        jitter: '20ms',
        correlation: 10,
        loss: { model: 'gemodel', p: 1, r: 10, h: 70, k: 0.1 },
        duplicate: 1,
        corrupt: 0.1,
        reorder: { percent: 5, gap: 3 },
        rate: '10mbit',
        limit: 5000,
      },
    });
    const c = compileNetworkFault(spec);
    const tc = [
      {
        kind: 'netem',
        handle: '4744:',
        dev: 'eth0',
        root: true,
        options: {
          limit: 5000,
          delay: { delay: 0.1, jitter: 0.02, correlation: 0.1 },
          'loss-gemodel': { p: 0.01, r: 0.1, '1-h': 0.7, '1-k': 0.001 },
          duplicate: { duplicate: 0.01, correlation: 0 },
          reorder: { reorder: 0.05, correlation: 0 },
          corrupt: { corrupt: 0.001, correlation: 0 },
          rate: { rate: 1250000, packetoverhead: 0, cellsize: 0, celloverhead: 0 },
          ecn: false,
          gap: 3,
        },
      },
    ];
    expect(verifyQdiscs(c.expected, JSON.stringify(tc))).toEqual({ ok: true });
    const noRate = structuredClone(tc);
    delete (noRate[0].options as Record<string, unknown>).rate;
    expect(verifyQdiscs(c.expected, JSON.stringify(noRate))).toEqual({
      ok: false,
      reasons: ['eth0 netem 4744:: rate is null bytes/s, expected 1250000'],
    });
  });

  it('verifies the ingress pair: ingress qdisc on eth0 and netem on the ifb', () => {
    const c = compileNetworkFault(net({ netem: { delay: '10ms' }, direction: 'ingress' }));
    // as tc 6.1 prints them for `tc -j qdisc show dev X`: no "dev" in the entries
    const eth0 = JSON.stringify([
      { kind: 'noqueue', handle: '0:', root: true },
      { kind: 'ingress', handle: 'ffff:', parent: 'ffff:fff1', options: {} },
    ]);
    const ifb = JSON.stringify([
      { kind: 'netem', handle: '4744:', root: true, options: { limit: 1000, delay: { delay: 0.01, jitter: 0 } } },
    ]);
    expect(verifyQdiscs(c.expected, [eth0, ifb])).toEqual({ ok: true });
    expect(verifyQdiscs(c.expected, [eth0, ''])).toEqual({ ok: false, reasons: ['gdifb0 netem 4744: not found'] });
    // the netem on the wrong device is not ours
    expect(verifyQdiscs(c.expected, [ifb, '[]'])).toEqual({
      ok: false,
      reasons: ['gdifb0 netem 4744: not found', 'eth0 ingress ffff: not found'],
    });
    const noqueueIfb = JSON.stringify([{ kind: 'noqueue', handle: '0:', root: true }]);
    expect(
      verifyReverted(c.expected, [JSON.stringify([{ kind: 'noqueue', handle: '0:', root: true }]), noqueueIfb]),
    ).toEqual({ ok: false, reasons: ['device gdifb0 still exists'] });
    expect(verifyReverted(c.expected, [JSON.stringify([{ kind: 'noqueue', handle: '0:', root: true }]), '[]'])).toEqual(
      { ok: true },
    );
  });

  it('rejects output that is not tc JSON', () => {
    expect(verifyQdiscs(whole.expected, 'Error: Cannot find device "eth0"')).toEqual({
      ok: false,
      reasons: [expect.stringMatching(/not JSON/)],
    });
  });
});

describe('verifyQdiscs with filter outputs (tc -j filter show, as tc 6.1 prints it)', () => {
  const scoped = compileNetworkFault(
    net({ netem: { delay: '10ms', loss: 30 }, scope: { rules: [{ destinations: ['10.0.0.0/8'] }] } }),
  );
  const filters = fixture('tc-u32-filters.json');

  it('accepts the qdiscs plus the filter sending the scope to the fault band', () => {
    expect(scoped.verify).toHaveLength(2);
    expect(verifyQdiscs(scoped.expected, [fixture('tc-prio-scoped.json'), filters])).toEqual({ ok: true });
  });

  it('detects flushed filters (qdiscs intact, fault silently inactive)', () => {
    expect(verifyQdiscs(scoped.expected, [fixture('tc-prio-scoped.json'), '[]'])).toEqual({
      ok: false,
      reasons: ['filter eth0 parent 4744: ip pref 100 not found'],
    });
    expect(
      verifyQdiscs(scoped.expected, [
        fixture('tc-prio-scoped.json'),
        filters.replace('"flowid":"4744:2"', '"flowid":"4744:1"'),
      ]),
    ).toEqual({
      ok: false,
      reasons: ['filter eth0 parent 4744: ip pref 100: no match sends to 4744:2'],
    });
  });

  it('checks the ingress mirred redirect to our IFB', () => {
    const c = compileNetworkFault(net({ netem: { delay: '10ms' }, direction: 'ingress' }));
    const eth0 = JSON.stringify([
      { kind: 'noqueue', handle: '0:', root: true },
      { kind: 'ingress', handle: 'ffff:', parent: 'ffff:fff1', options: {} },
    ]);
    const ifb = JSON.stringify([
      { kind: 'netem', handle: '4744:', root: true, options: { limit: 1000, delay: { delay: 0.01, jitter: 0 } } },
    ]);
    const mirred = fixture('tc-ingress-mirred.json');
    expect(verifyQdiscs(c.expected, [eth0, ifb, mirred])).toEqual({ ok: true });
    expect(verifyQdiscs(c.expected, [eth0, ifb, mirred.replace('"to_dev":"gdifb0"', '"to_dev":"ifb9"')])).toEqual({
      ok: false,
      reasons: ['filter eth0 parent ffff: all pref 1: no mirred redirect to gdifb0'],
    });
  });
});

describe('verifyReverted', () => {
  const whole = compileNetworkFault(net({ netem: { delay: '500ms' } }));
  it('is ok when our handle is gone, whatever else is there', () => {
    expect(verifyReverted(whole.expected, fixture('tc-noqueue.json'))).toEqual({ ok: true });
  });
  it('fails while our qdisc is still present', () => {
    expect(verifyReverted(whole.expected, fixture('tc-netem-root.json'))).toEqual({
      ok: false,
      reasons: ['eth0 netem 4744: still present'],
    });
  });
  it('ignores a foreign qdisc that happens to use another kind', () => {
    expect(
      verifyReverted(whole.expected, fixture('tc-netem-root.json').replace('"kind":"netem"', '"kind":"htb"')),
    ).toEqual({ ok: true });
  });
});
