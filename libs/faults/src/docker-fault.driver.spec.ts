import type Docker from 'dockerode';
import {
  compileNetworkFault,
  faultSchema,
  ManualClock,
  type FaultLease,
  type LeaseDraft,
  type NetworkFaultSpec,
  type PreparedFault,
} from '@gameday/core';
import { DockerFaultDriver } from './docker-fault.driver';
import { probeSteps } from './engine/capability-probe';
import { containerSteps } from './kinds';
import { encodeHelperSteps } from './engine/helper-protocol';

describe('encodeHelperSteps', () => {
  it('length-prefixes every step and its undo (0 words when a later undo covers it)', () => {
    expect(
      encodeHelperSteps(
        [
          ['ip', 'link', 'add', 'x', 'type', 'ifb'],
          ['ip', 'link', 'set', 'x', 'up'],
        ],
        [['ip', 'link', 'del', 'x'], null],
      ),
    ).toEqual([
      '2',
      '6',
      'ip',
      'link',
      'add',
      'x',
      'type',
      'ifb',
      '4',
      'ip',
      'link',
      'del',
      'x',
      '5',
      'ip',
      'link',
      'set',
      'x',
      'up',
      '0',
    ]);
  });

  it('encodes a compiled fault: apply and undo stay aligned', () => {
    const spec = faultSchema.parse({
      kind: 'network',
      target: { container: 'x' },
      netem: { delay: '500ms', jitter: '100ms' },
    }) as NetworkFaultSpec;
    const c = compileNetworkFault(spec);
    const words = encodeHelperSteps(c.apply, c.undo);
    expect(words[0]).toBe('1');
    expect(words.slice(2, 2 + Number(words[1]))).toEqual(c.apply[0]);
  });

  it('refuses words with a newline or NUL (the helper stores one word per line)', () => {
    expect(() => encodeHelperSteps([['tc', 'a\nb']], [null])).toThrow(/newline/);
    expect(() => encodeHelperSteps([['tc']], [['x\0']])).toThrow(/NUL/);
  });
});

describe('probeSteps', () => {
  it('probes netem on a throwaway veth only, and always deletes it', () => {
    const p = probeSteps({ prio: false, ingress: false }, 'abc123');
    expect(p.steps.map((s) => s.feature ?? '-')).toEqual(['-', 'sch_netem', '-']);
    expect(p.steps[0].argv).toEqual(['ip', 'link', 'add', 'gdpabc123a', 'type', 'veth', 'peer', 'name', 'gdpabc123b']);
    expect(p.steps.every((s) => !s.argv.includes('eth0'))).toBe(true);
    expect(p.cleanup).toEqual([['ip', 'link', 'del', 'gdpabc123a']]);
    expect(probeSteps({ prio: false, ingress: false }).steps[0].argv[3]).toMatch(/^gdp[0-9a-f]{6}a$/);
  });

  it('adds prio/u32 and ifb/ingress/mirred probes when the fault needs them', () => {
    const p = probeSteps({ prio: true, ingress: true }, 'abc123');
    expect(p.steps.map((s) => s.feature ?? '-')).toEqual([
      '-',
      'sch_netem',
      '-',
      'sch_prio',
      'cls_u32',
      'ifb',
      'sch_ingress',
      'act_mirred',
    ]);
    expect(p.cleanup).toEqual([
      ['ip', 'link', 'del', 'gdpabc123a'],
      ['ip', 'link', 'del', 'gdpabc123i'],
    ]);
  });
});

describe('containerSteps', () => {
  it.each([
    ['pause', {}, ['docker', 'pause', 'id1'], ['docker', 'unpause', 'id1']],
    ['stop', {}, ['docker', 'stop', 'id1'], ['docker', 'start', 'id1']],
    ['kill', { signal: 'SIGTERM' }, ['docker', 'kill', '--signal', 'SIGTERM', 'id1'], ['docker', 'start', 'id1']],
    ['kill', {}, ['docker', 'kill', '--signal', 'SIGKILL', 'id1'], ['docker', 'start', 'id1']],
    ['restart', {}, ['docker', 'restart', 'id1'], ['docker', 'start', 'id1']],
  ])('%s %j', (action, extra, apply, revert) => {
    const spec = faultSchema.parse({ kind: 'container', target: { container: 'x' }, action, ...extra });
    expect(containerSteps(spec as never, 'id1')).toEqual({ apply, revert });
  });
});

describe('DockerFaultDriver: outcomes, never lease writes', () => {
  const spec = faultSchema.parse({ kind: 'container', target: { container: 'web' }, action: 'pause' });
  const target = { engine: 'e1', containerId: 'c1', containerName: 'web', netnsId: 'ns1', labels: {} };
  const prepared: PreparedFault = {
    spec,
    target,
    strategy: 'docker',
    expiresAt: new Date('2026-12-02T10:01:00Z'),
    graceMs: 5_000,
    runId: 'run-1',
    experimentIndex: 0,
  };
  const NOW = new Date('2026-12-02T10:00:00Z');
  /** a Docker whose container pause does what it is told; anything else it is asked throws */
  function driverWith(pause: () => Promise<void>) {
    const calls: string[] = [];
    const docker = {
      getContainer: (id: string) => ({
        pause: () => (calls.push(`pause ${id}`), pause()),
      }),
    } as unknown as Docker;
    return { driver: new DockerFaultDriver(docker, { engine: 'e1', clock: new ManualClock(NOW) }), calls };
  }
  const recorded = (draft: LeaseDraft, extra: Partial<FaultLease> = {}): FaultLease => ({
    ...draft,
    id: 'lease-1',
    revertedAt: null,
    revertReason: null,
    revertAttempts: 0,
    lastError: null,
    ...extra,
  });

  it('drafts the lease row (engine, run, argv, planned instant) and writes nothing', () => {
    const { driver, calls } = driverWith(async () => undefined);
    expect(driver.draftLease(prepared)).toMatchObject({
      engine: 'e1',
      runId: 'run-1',
      experimentIndex: 0,
      kind: 'container',
      containerId: 'c1',
      applyArgv: [['docker', 'pause', 'c1']],
      revertArgv: [['docker', 'unpause', 'c1']],
      plannedAt: NOW,
      expiresAt: prepared.expiresAt,
    });
    expect(calls).toEqual([]);
  });

  it('refuses to draft a plan for a fault whose helper keeps no clock', () => {
    const { driver } = driverWith(async () => undefined);
    expect(() => driver.draftLease(prepared, { applyAt: NOW, revertAt: new Date(NOW.getTime() + 1000) })).toThrow(
      /helper keeps the clock/,
    );
  });

  it('applies only under the open lease recorded for this fault, refusing before Docker is asked', async () => {
    const { driver, calls } = driverWith(async () => undefined);
    const draft = driver.draftLease(prepared);
    for (const other of [
      recorded(draft, { containerId: 'c2' }),
      recorded(draft, { id: '' }),
      recorded(draft, { revertedAt: NOW }),
      recorded(draft, { runId: 'run-2' }),
      recorded(draft, { engine: 'e2' }),
    ])
      await expect(driver.apply(prepared, other)).rejects.toThrow(/is not the open lease recorded for this fault/);
    expect(calls).toEqual([]);
    expect(await driver.apply(prepared, recorded(draft))).toEqual({ applied: true, at: NOW });
    expect(calls).toEqual(['pause c1']);
  });

  it('reports what a failed apply left: nothing when the engine refused, unknown when the link broke', async () => {
    const refused = driverWith(() =>
      Promise.reject(Object.assign(new Error('is already paused'), { statusCode: 409 })),
    );
    const lease = recorded(refused.driver.draftLease(prepared));
    expect(await refused.driver.apply(prepared, lease)).toMatchObject({
      applied: false,
      left: 'nothing',
      targetGone: false,
      error: { message: 'is already paused' },
    });
    const broken = driverWith(() => Promise.reject(new Error('socket hang up')));
    expect(await broken.driver.apply(prepared, lease)).toMatchObject({ applied: false, left: 'unknown' });
  });
});

describe('the abort nonce of an arming', () => {
  const spec = faultSchema.parse({
    kind: 'network',
    target: { container: 'web' },
    netem: { delay: '500ms' },
  }) as NetworkFaultSpec;
  const prepared: PreparedFault = {
    spec,
    target: { engine: 'e1', containerId: 'c1', containerName: 'web', netnsId: 'ns1', labels: {} },
    strategy: 'sidecar',
    armed: compileNetworkFault(spec),
    helperContainerId: 'helper-1',
    expiresAt: new Date('2026-12-02T10:01:00Z'),
    graceMs: 5_000,
    experimentIndex: 0,
    clockOffset: { offsetMs: 0, uncertaintyMs: 1, correctionMs: 0 },
    abortNonce: '0123456789abcdef',
  };
  const driver = new DockerFaultDriver({} as Docker, {
    engine: 'e1',
    clock: new ManualClock(new Date('2026-12-02T10:00:00Z')),
  });

  it('goes into the lease with the helper that took the plan, scheduled or applied now', () => {
    const at = { applyAt: new Date('2026-12-02T10:00:10Z'), revertAt: new Date('2026-12-02T10:00:40Z') };
    expect(driver.draftLease(prepared).details).toMatchObject({ abortNonce: '0123456789abcdef' });
    expect(driver.draftLease(prepared, at).details).toMatchObject({
      abortNonce: '0123456789abcdef',
      applyAt: at.applyAt.toISOString(),
    });
  });

  it('stays out of a lease with no helper (nobody would read the line)', () => {
    expect(driver.draftLease({ ...prepared, helperContainerId: undefined }).details?.abortNonce).toBeUndefined();
  });

  it('is not held for a lease whose helper this process did not start: an abort then signals', () => {
    const lease = { helperContainerId: 'helper-1', details: { abortNonce: '0123456789abcdef' } } as FaultLease;
    expect(driver.holdsAbortStream(lease)).toBe(false);
  });
});
