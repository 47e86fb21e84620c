import type { ResolvedTarget, TargetResolution } from './fault-driver';
import { faultSchema } from './fault.schema';
import { assignPartitionSides } from './partition-sides';
import type { PartitionFaultSpec } from './partition.schema';
import { TargetSelectionError } from './target-selection';

const spec = faultSchema.parse({
  kind: 'partition',
  between: [{ compose: { project: 'shop', service: 'api' } }, { labels: { tier: 'db' } }],
}) as PartitionFaultSpec;

const target = (name: string, netns = `sb-${name}`): ResolvedTarget => ({
  engine: 'e1',
  containerId: `${name}-id`,
  containerName: name,
  netnsId: netns,
  labels: {},
});
const group = (...targets: ResolvedTarget[]): TargetResolution => ({
  targets,
  refused: [],
  deduplicated: [],
  selection: { mode: 'all', eligible: targets.length, chosen: targets.map((t) => t.containerId), draws: [] },
});

describe('partition sides', () => {
  it("marks each target with its group and the other group's containers as its peers", () => {
    const r = assignPartitionSides(spec, [group(target('api-1'), target('api-2')), group(target('db-1'))]);
    expect(r.targets.map((t) => [t.containerName, t.side])).toEqual([
      ['api-1', { index: 0, group: 'between.0 (compose shop/api)', peers: ['db-1'] }],
      ['api-2', { index: 0, group: 'between.0 (compose shop/api)', peers: ['db-1'] }],
      ['db-1', { index: 1, group: 'between.1 (labels tier=db)', peers: ['api-1', 'api-2'] }],
    ]);
    expect(r.selection).toMatchObject({ eligible: 3, chosen: ['api-1-id', 'api-2-id', 'db-1-id'] });
    expect(r.groups).toHaveLength(2);
  });

  it('refuses a container in both groups', () => {
    expect(() => assignPartitionSides(spec, [group(target('api-1')), group(target('api-1'), target('db-1'))])).toThrow(
      new TargetSelectionError(
        'between: the groups overlap: api-1 is in both groups (between.0 (compose shop/api) and between.1 (labels tier=db)); nothing was armed',
        [],
      ),
    );
  });

  it('refuses two groups meeting in one network namespace', () => {
    expect(() => assignPartitionSides(spec, [group(target('api-1', 'sb-x')), group(target('db-1', 'sb-x'))])).toThrow(
      /api-1 \(between\.0 .*\) and db-1 \(between\.1 .*\) share one network namespace/,
    );
  });
});
