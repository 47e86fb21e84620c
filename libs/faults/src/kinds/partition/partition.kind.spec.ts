import {
  faultSchema,
  TargetSelectionError,
  type PartitionFaultSpec,
  type TargetResolution,
  type TargetSpec,
} from '@gameday/core';
import type { FaultKind } from '../fault-kind';
// through the registry, as the driver finds it (the kinds and the engine import each other)
import { faultKind } from '../fault-kind.registry';
import { partitionTarget } from './partition-part';

const partitionKind = faultKind('partition') as unknown as FaultKind<PartitionFaultSpec>;

const spec = faultSchema.parse({
  kind: 'partition',
  between: [{ container: 'api' }, { compose: { project: 'shop', service: 'db' } }],
}) as PartitionFaultSpec;

const one = (name: string): TargetResolution => ({
  targets: [{ engine: 'e', containerId: `${name}-id`, containerName: name, netnsId: `sb-${name}`, labels: {} }],
  refused: [],
  deduplicated: [],
  selection: { mode: 'all', eligible: 1, chosen: [`${name}-id`], draws: [] },
});

describe('the partition kind', () => {
  it('resolves each group with the dispatcher, in order, and gives each target its side', async () => {
    const asked: TargetSpec[] = [];
    const r = await partitionKind.resolveTargets!(spec, async (t) => {
      asked.push(t);
      return one(t.container ?? 'shop-db-1');
    });
    expect(asked).toEqual(spec.between);
    expect(
      r.targets.map((t) => [t.containerName, partitionTarget(t).side?.index, partitionTarget(t).side?.peers]),
    ).toEqual([
      ['api', 0, ['shop-db-1']],
      ['shop-db-1', 1, ['api']],
    ]);
  });

  it('names the group that resolved to nothing', async () => {
    const err = await partitionKind.resolveTargets!(spec, async (t) => {
      if (t.compose) throw new TargetSelectionError('no eligible target for compose project "shop"', []);
      return one('api');
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetSelectionError);
    expect((err as Error).message).toBe('between.1: no eligible target for compose project "shop"');
  });

  it('refuses a target that was not resolved as a partition (no side)', async () => {
    await expect(
      partitionKind.prepare({} as never, spec, { target: one('api').targets[0] } as never, {} as never),
    ).rejects.toThrow(/has no side/);
  });
});
