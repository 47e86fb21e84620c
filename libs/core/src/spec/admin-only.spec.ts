import { adminOnlyFields, newAdminOnlyFields } from './admin-only';
import { gameDaySpecSchema, type GameDaySpec } from './gameday.schema';

const spec = (fault: Record<string, unknown>): GameDaySpec =>
  gameDaySpecSchema.parse({
    name: 'g',
    timezone: 'UTC',
    schedule: { at: '2030-01-01T10:00:00Z' },
    experiments: [
      {
        name: 'e',
        hypothesis: { description: 'd', probes: [{ name: 'p', url: 'http://127.0.0.1:1/', timeoutMs: 100 }] },
        fault,
        durations: { baseline: '1s', fault: '1s', recovery: '1s' },
      },
    ],
  });
const network = (extra: Record<string, unknown> = {}, target: Record<string, unknown> = {}) =>
  spec({ kind: 'network', target: { container: 'c', ...target }, netem: { delay: '10ms' }, ...extra });

describe('admin-only fault options', () => {
  it('names allowPrivileged and the nsenter strategy, nothing else', () => {
    expect(adminOnlyFields(network()).map((f) => f.field)).toEqual([]);
    expect(adminOnlyFields(network({ strategy: 'sidecar' }, { allowPrivileged: false }))).toEqual([]);
    expect(adminOnlyFields(network({ strategy: 'nsenter' }, { allowPrivileged: true })).map((f) => f.field)).toEqual([
      'experiments[0].fault.target.allowPrivileged',
      'experiments[0].fault.strategy',
    ]);
    const container = spec({ kind: 'container', target: { container: 'c', allowPrivileged: true }, action: 'pause' });
    expect(adminOnlyFields(container).map((f) => f.field)).toEqual(['experiments[0].fault.target.allowPrivileged']);
  });

  it("names allowPrivileged on either group of a partition, at the group's path", () => {
    const partition = spec({
      kind: 'partition',
      between: [{ container: 'a' }, { container: 'b', allowPrivileged: true }],
    });
    expect(adminOnlyFields(partition).map((f) => f.field)).toEqual(['experiments[0].fault.between[1].allowPrivileged']);
  });

  it('an edit keeping the stored fault introduces nothing, whatever the key order Postgres returns', () => {
    const stored = network({ strategy: 'nsenter' }, { allowPrivileged: true });
    const fromJsonb = JSON.parse(JSON.stringify(stored), (_k, v) =>
      v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v,
    );
    expect(newAdminOnlyFields(network({ strategy: 'nsenter' }, { allowPrivileged: true }), fromJsonb)).toEqual([]);
  });

  it('an edit that moves or adds them introduces them', () => {
    const stored = network({ strategy: 'nsenter' });
    expect(newAdminOnlyFields(spec({ ...stored.experiments[0].fault, device: 'eth1' }), stored)).toHaveLength(1);
    expect(newAdminOnlyFields(network({ strategy: 'nsenter' }, { allowPrivileged: true }), network())).toHaveLength(2);
    expect(newAdminOnlyFields(network({ strategy: 'nsenter' }))).toHaveLength(1);
  });
});
