import type { FaultSpec, PreparedFault } from '@gameday/core';
import type { FaultEngine } from '../engine/fault-engine';
// through the registry: the kind modules are loaded the way the product loads them
import { faultKind } from './fault-kind.registry';
import { helperCapabilities, helperSchedule } from './helper-clock';

const blackholeKind = faultKind('blackhole');
const networkKind = faultKind('network');

const at = { applyAt: new Date('2030-01-01T00:00:10Z'), revertAt: new Date('2030-01-01T00:00:40Z') };
const expireAt = Date.parse('2030-01-01T00:01:10Z');
const steps = { apply: [['tc', 'qdisc', 'add']], undo: [['tc', 'qdisc', 'del']] };
const prepared = {
  helperContainerId: 'helper',
  clockOffset: { correctionMs: 250 },
  armed: steps,
  abortNonce: '0123456789abcdef',
} as unknown as PreparedFault<typeof steps>;

describe('the helper keeps the clock', () => {
  it('is what a sidecar fault may be relied on for; the worker keeps it otherwise', () => {
    expect(blackholeKind.capabilities({ strategy: 'sidecar' })).toEqual(helperCapabilities());
    expect(networkKind.capabilities({ strategy: 'sidecar' })).toEqual({
      clock: 'helper',
      verifiable: true,
      reverify: true,
    });
    expect(networkKind.capabilities({ strategy: 'nsenter' })).toEqual({
      clock: 'worker',
      verifiable: true,
      reverify: true,
    });
  });

  it("adds the instants handed over to the kind's own lease details", () => {
    const schedule = helperSchedule({ steps: () => steps, details: () => ({ warnings: ['w'] }) });
    expect(schedule.details(prepared, at, expireAt)).toEqual({
      warnings: ['w'],
      applyAt: '2030-01-01T00:00:10.000Z',
      revertAt: '2030-01-01T00:00:40.000Z',
      selfExpiryAt: '2030-01-01T00:01:10.000Z',
      clockCorrectionMs: 250,
    });
  });

  it("hands the kind's steps to its helper with the arming's abort nonce and heartbeat, the instants shifted into the helper's clock", async () => {
    const schedule = jest.fn().mockResolvedValue({ exitCode: 0, stdout: '', stderr: '' });
    const engine = { helpers: { schedule } } as unknown as FaultEngine;
    const hand = (a: typeof at & { heartbeatMs?: number }) =>
      helperSchedule<FaultSpec, typeof steps, unknown>({ steps: (p) => p.armed!, details: () => ({}) }).handOver(
        engine,
        prepared,
        a,
        expireAt,
      );
    await hand(at);
    await hand({ ...at, heartbeatMs: 10_000 });
    const handed = [
      'helper',
      at.applyAt.getTime() + 250,
      at.revertAt.getTime() + 250,
      expireAt + 250,
      steps.apply,
      steps.undo,
      '0123456789abcdef',
    ];
    expect(schedule.mock.calls).toEqual([
      [...handed, undefined],
      [...handed, 10_000],
    ]);
  });
});
