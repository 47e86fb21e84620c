import { faultSchema } from './fault.schema';

const base = { kind: 'network', target: { container: 'svc' } };
function issues(input: unknown): string[] {
  const r = faultSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('faultSchema', () => {
  it('accepts the DESIGN.md example and fills the defaults', () => {
    const parsed = faultSchema.parse({
      kind: 'network',
      target: { container: 'demo-service2-1' },
      netem: { delay: '500ms', jitter: '100ms' },
    });
    expect(parsed).toEqual({
      kind: 'network',
      target: { container: 'demo-service2-1', selection: { mode: 'one' } },
      netem: { delay: '500ms', jitter: '100ms' },
      direction: 'egress',
      device: 'eth0',
      strategy: 'sidecar',
      exclude: ['127.0.0.11/32'],
    });
  });

  it.each([
    ['compose target', { ...base, target: { compose: { project: 'demo', service: 'service2' } }, netem: { loss: 5 } }],
    [
      'labels target, all',
      { ...base, target: { labels: { app: 'x' }, selection: { mode: 'all' } }, netem: { delay: '1ms' } },
    ],
    [
      'count selection',
      { ...base, target: { labels: { app: 'x' }, selection: { mode: 'count', count: 2 } }, netem: { delay: '1ms' } },
    ],
    [
      'percent selection',
      {
        ...base,
        target: { labels: { app: 'x' }, selection: { mode: 'percent', percent: 50 } },
        netem: { delay: '1ms' },
      },
    ],
    ['state loss', { ...base, netem: { loss: { model: 'state', p13: 1, p31: 2, p32: 3, p23: 4, p14: 5 } } }],
    ['gemodel loss', { ...base, netem: { loss: { model: 'gemodel', p: 1, r: 2, h: 3, k: 4 } } }],
    [
      'scope v4+v6',
      {
        ...base,
        netem: { delay: '1ms' },
        scope: { rules: [{ destinations: ['10.0.0.0/8', '2001:db8::1'], ports: [80], protocol: 'tcp' }] },
      },
    ],
    [
      'ingress nsenter',
      { ...base, netem: { delay: '1ms' }, direction: 'ingress', strategy: 'nsenter', device: 'eth1', exclude: [] },
    ],
    ['rate only', { ...base, netem: { rate: '512kbit' } }],
    [
      'container kill with signal',
      { kind: 'container', target: { container: 'x' }, action: 'kill', signal: 'SIGTERM' },
    ],
    ['container pause', { kind: 'container', target: { container: 'x' }, action: 'pause' }],
  ])('accepts %s', (_n, input) => {
    expect(issues(input)).toEqual([]);
  });

  it.each([
    ['jitter without delay', { ...base, netem: { jitter: '10ms', loss: 1 } }, 'netem.jitter: jitter requires delay'],
    [
      'reorder without delay',
      { ...base, netem: { loss: 1, reorder: { percent: 5 } } },
      'netem.reorder: reorder requires delay',
    ],
    [
      'correlation without jitter',
      { ...base, netem: { delay: '1ms', correlation: 5 } },
      'netem.correlation: correlation requires jitter',
    ],
    [
      'distribution without jitter',
      { ...base, netem: { delay: '1ms', distribution: 'normal' } },
      'netem.distribution: distribution requires delay and jitter',
    ],
    [
      'unknown distribution',
      { ...base, netem: { delay: '1ms', jitter: '1ms', distribution: 'gauss' } },
      'netem.distribution:',
    ],
    ['no impairment', { ...base, netem: {} }, 'netem: netem needs at least one of'],
    ['bare number delay', { ...base, netem: { delay: 500 } }, 'netem.delay:'],
    ['delay without unit', { ...base, netem: { delay: '500' } }, 'netem.delay: "500" is not a duration'],
    ['delay too long', { ...base, netem: { delay: '10m' } }, 'netem.delay: must be at most 5m'],
    ['percent above 100', { ...base, netem: { loss: 120 } }, 'netem.loss:'],
    ['negative duplicate', { ...base, netem: { duplicate: -1 } }, 'netem.duplicate: must be a percentage'],
    ['corrupt above 100', { ...base, netem: { corrupt: 101 } }, 'netem.corrupt: must be a percentage'],
    ['rate without unit', { ...base, netem: { rate: '1000' } }, 'netem.rate: "1000" is not a rate'],
    ['limit zero', { ...base, netem: { delay: '1ms', limit: 0 } }, 'netem.limit: limit must be at least 1 packet'],
    ['fractional limit', { ...base, netem: { delay: '1ms', limit: 1.5 } }, 'netem.limit: limit must be a whole number'],
    ['state loss missing p31', { ...base, netem: { loss: { model: 'state', p13: 1 } } }, 'netem.loss: p31:'],
    [
      'state p23 without p32',
      { ...base, netem: { loss: { model: 'state', p13: 1, p31: 2, p23: 3 } } },
      'netem.loss.p23: p23 requires p32',
    ],
    [
      'gemodel k without h',
      { ...base, netem: { loss: { model: 'gemodel', p: 1, r: 2, k: 3 } } },
      'netem.loss.k: k requires h',
    ],
    ['unknown loss model', { ...base, netem: { loss: { model: 'bursty', p: 1 } } }, 'netem.loss:'],
    [
      'reorder gap zero',
      { ...base, netem: { delay: '1ms', reorder: { percent: 5, gap: 0 } } },
      'netem.reorder.gap: gap must be at least 1',
    ],
    ['unknown netem key', { ...base, netem: { delay: '1ms', latency: '1ms' } }, 'netem: Unrecognized key: "latency"'],
    ['unknown top key', { ...base, netem: { delay: '1ms' }, dev: 'eth0' }, ': Unrecognized key: "dev"'],
    [
      'two target kinds',
      { ...base, target: { container: 'a', labels: { a: 'b' } }, netem: { delay: '1ms' } },
      'target: target needs exactly one of container, compose or labels',
    ],
    ['no target kind', { ...base, target: {}, netem: { delay: '1ms' } }, 'target: target needs exactly one'],
    [
      'empty labels',
      { ...base, target: { labels: {} }, netem: { delay: '1ms' } },
      'target.labels: labels must name at least one label',
    ],
    [
      'count mode without count',
      { ...base, target: { container: 'a', selection: { mode: 'count' } }, netem: { delay: '1ms' } },
      'target.selection.count: count is required when mode is "count"',
    ],
    [
      'percent mode without percent',
      { ...base, target: { container: 'a', selection: { mode: 'percent' } }, netem: { delay: '1ms' } },
      'target.selection.percent: percent is required',
    ],
    [
      'count with mode one',
      { ...base, target: { container: 'a', selection: { mode: 'one', count: 2 } }, netem: { delay: '1ms' } },
      'target.selection.count: count is only allowed',
    ],
    [
      'bad CIDR',
      { ...base, netem: { delay: '1ms' }, scope: { rules: [{ destinations: ['10.0.0.300/8'] }] } },
      'scope.rules.0.destinations.0: must be an IPv4 or IPv6 address or CIDR',
    ],
    [
      'empty rule',
      { ...base, netem: { delay: '1ms' }, scope: { rules: [{}] } },
      'scope.rules.0: a scope rule needs at least one of',
    ],
    [
      'no rules',
      { ...base, netem: { delay: '1ms' }, scope: { rules: [] } },
      'scope.rules: scope.rules must contain at least one rule',
    ],
    [
      'port out of range',
      { ...base, netem: { delay: '1ms' }, scope: { rules: [{ ports: [70000] }] } },
      'scope.rules.0.ports.0: ports are 1-65535',
    ],
    [
      'ports with icmp',
      { ...base, netem: { delay: '1ms' }, scope: { rules: [{ ports: [80], protocol: 'icmp' }] } },
      'scope.rules.0.ports: ports cannot be combined with protocol icmp',
    ],
    ['bad direction', { ...base, netem: { delay: '1ms' }, direction: 'both' }, 'direction:'],
    ['bad strategy', { ...base, netem: { delay: '1ms' }, strategy: 'ssh' }, 'strategy:'],
    [
      'bad device',
      { ...base, netem: { delay: '1ms' }, device: 'eth0; rm -rf /' },
      'device: device must be an interface name',
    ],
    ['bad exclude', { ...base, netem: { delay: '1ms' }, exclude: ['dns'] }, 'exclude.0: must be an IPv4 or IPv6'],
    [
      'signal with stop',
      { kind: 'container', target: { container: 'x' }, action: 'stop', signal: 'SIGKILL' },
      'signal: signal is only allowed with action "kill"',
    ],
    ['unknown container action', { kind: 'container', target: { container: 'x' }, action: 'freeze' }, 'action:'],
    ['unknown kind', { kind: 'cpu', target: { container: 'x' } }, 'kind:'],
  ])('rejects %s', (_n, input, reason) => {
    const found = issues(input);
    expect(found.some((m) => m.startsWith(reason))).toBe(true);
  });
});
