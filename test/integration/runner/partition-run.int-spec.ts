import { readRunResult } from '@gameday/core';
import { randomUUID } from 'node:crypto';
import { runEnded, waitFor } from '../../support/harness';
import { useContainerNetwork } from '../../support/container-network';
import { useStack } from '../../support/stack.fixture';

// A partition run through the API, the real worker and the host's Docker Engine: both groups armed
// (one lease per netns), cut both ways during the window while the worker's probe from outside
// still answers (a partition leaves everyone else alone), each lease reverted, and the result and
// report naming each target's side.
jest.setTimeout(90_000);

describe('a partition run end to end (worker + API + Docker)', () => {
  const stack = useStack({ name: 'partition-run', worker: 'real' });
  const { prisma } = stack;
  const net = useContainerNetwork('gdpr', { a: () => ({}), b: () => ({}) });

  it('arms both sides, cuts them apart both ways while the probe from outside answers, reverts each lease and reports the sides', async () => {
    const { a, b } = net.containers;
    const runId = await stack.runNow({
      name: `partition-run-${randomUUID()}`,
      timezone: 'UTC',
      schedule: { at: new Date(Date.now() + 60 * 60_000).toISOString() },
      experiments: [
        {
          name: 'a and b apart',
          hypothesis: {
            description: 'a keeps answering its callers outside the partition',
            probes: [{ name: 'a', url: `http://${a.ip}/`, timeoutMs: 300, interval: '100ms' }],
            tolerances: { fault: { maxErrorRate: 0.2 }, recovery: { maxErrorRate: 0.2 } },
          },
          fault: { kind: 'partition', between: [{ container: a.name }, { container: b.name }], action: 'reject' },
          // two helpers to arm: beside CI's other lanes 3 s were not enough (a baseline too short to judge)
          durations: { arming: '6s', baseline: '3s', fault: '4s', recovery: '2s' },
        },
      ],
    });
    await waitFor('a to be cut from b', async () => (await net.call('a', 'b', 1)) === 'refused', 20_000, 100);
    expect(await net.call('b', 'a', 1)).toBe('refused');
    const run = await runEnded(prisma, runId);
    expect({ status: run.status, error: run.error, verdict: run.verdict }).toEqual({
      status: 'completed',
      error: null,
      verdict: 'hypothesis_held',
    });
    expect(await net.call('a', 'b')).toBe('ok');
    expect(await net.call('b', 'a')).toBe('ok');

    const sides = [`between.0 (container ${a.name})`, `between.1 (container ${b.name})`];
    const leases = await prisma.activeFault.findMany({ where: { runId }, orderBy: { containerName: 'asc' } });
    expect(
      leases.map((l) => ({
        kind: l.kind,
        container: l.containerName,
        side: (l.details as { kindPart?: { partitionSide?: string } }).kindPart?.partitionSide,
        reverted: l.revertedAt !== null,
      })),
    ).toEqual([
      { kind: 'partition', container: a.name, side: sides[0], reverted: true },
      { kind: 'partition', container: b.name, side: sides[1], reverted: true },
    ]);
    expect(run.events.filter((e) => e.type === 'fault.armed')).toHaveLength(2);
    const targets = readRunResult(run.result).experiments[0].targets;
    expect(targets.map((t) => [t.containerName, t.side])).toEqual([
      [a.name, sides[0]],
      [b.name, sides[1]],
    ]);
    const report = await stack.http.get(`/api/v1/runs/${runId}/report?format=markdown`).set(stack.admin);
    expect(report.status).toBe(200);
    expect(report.text).toContain(`- ${a.name} (\`${a.id.slice(0, 12)}\`), ${sides[0]}`);
  });
});
