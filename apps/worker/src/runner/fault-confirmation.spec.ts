import {
  EngineUnreachableError,
  InMemoryLeaseRepository,
  systemClock,
  type ExperimentPlan,
  type FaultDriver,
  type FaultLease,
  type HelperTimeline,
  type RevertOutcome,
} from '@gameday/core';
import type { RunRepository } from '@gameday/db';
import { createMetrics } from '@gameday/metrics';
import { Registry } from 'prom-client';
import { ENGINE_WAIT_MS, FaultConfirmation } from './fault-confirmation';

const refused = () =>
  new EngineUnreachableError('engine-a', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));

/** A driver whose engine does not answer for the first `awayCalls` calls, like a restarting dockerd. */
class RestartingEngine {
  readonly engine = 'engine-a';
  calls = 0;
  constructor(
    private awayCalls: number,
    private readonly helperRevertedAt: Date,
    /** how long the revert takes once the engine answers (a busy engine just back) */
    private readonly revertMs = 0,
  ) {}
  private answer(): void {
    this.calls++;
    if (this.awayCalls-- > 0) throw refused();
  }
  async readTimeline(): Promise<HelperTimeline> {
    this.answer();
    return { state: 'reverted', revertedAt: this.helperRevertedAt, revertReason: 'scheduled' };
  }
  /** a failed attempt is an outcome, as the driver reports it */
  async revert(): Promise<RevertOutcome> {
    try {
      this.answer();
    } catch (error) {
      return { reverted: false, error: error as Error };
    }
    if (this.revertMs) await new Promise((r) => setTimeout(r, this.revertMs));
    return { reverted: true, result: { outcome: 'already_gone', at: new Date() } };
  }
}

type RunEvent = { type: string; message: string; data?: unknown };

/** The confirmation over a fake driver and the in-memory ledger, with the run's events it wrote. */
function confirmationOver(driver: unknown, ledger: InMemoryLeaseRepository) {
  const events: RunEvent[] = [];
  const runs = { appendEvent: async (_: string, e: RunEvent) => events.push(e) };
  const confirmation = new FaultConfirmation(
    driver as FaultDriver,
    ledger,
    runs as unknown as RunRepository,
    createMetrics({ registry: new Registry() }),
    systemClock,
  );
  return { events, confirmation };
}

/** An experiment whose fault began 5 s before `revertAt` (its T1). */
function planEndingAt(revertAt: number): ExperimentPlan {
  const now = Date.now();
  return {
    index: 0,
    armAt: now - 20_000,
    arming: 'spec',
    baselineAt: now - 15_000,
    injectAt: now - 5_000,
    revertAt,
    endAt: revertAt + 10_000,
  };
}

async function setup(driver: RestartingEngine) {
  const ledger = new InMemoryLeaseRepository();
  const lease: FaultLease = await ledger.record({
    experimentIndex: 0,
    kind: 'network',
    strategy: 'sidecar',
    engine: 'engine-a',
    containerId: 'c1',
    containerName: 'target',
    helperContainerId: 'h1',
    applyArgv: [['tc', 'qdisc', 'add']],
    revertArgv: [['tc', 'qdisc', 'del']],
    expiresAt: new Date(Date.now() + 60_000),
  });
  const { events, confirmation } = confirmationOver(driver, ledger);
  // T1 is now: the first look at the helper is half a second later
  return { ledger, lease, events, confirmation, ep: planEndingAt(Date.now()) };
}

describe('FaultConfirmation.reverted with an engine that does not answer', () => {
  it('waits for the engine, then records the helper’s own instant and how long the engine was away', async () => {
    const helperAt = new Date(Date.now() + 20);
    const driver = new RestartingEngine(4, helperAt);
    const { ledger, lease, events, confirmation, ep } = await setup(driver);

    const confirmed = await confirmation.reverted('run-1', [lease], ep, 'planned_end');

    expect(confirmed!.at).toEqual(helperAt);
    expect((await ledger.get(lease.id))!.revertedAt).toEqual(helperAt);
    const reverted = events.find((e) => e.type === 'fault.reverted')!;
    expect(reverted.message).toMatch(
      /the engine did not answer; confirmed \d+ ms after the planned instant, once it did/,
    );
    expect((reverted.data as { engineAwayMs: number }).engineAwayMs).toBeGreaterThan(0);
  }, 20_000);

  it('holds the claim through a slow first answer of an engine just back', async () => {
    jest.useFakeTimers();
    try {
      const driver = new RestartingEngine(3, new Date(), 20_000);
      const { ledger, lease, confirmation, ep } = await setup(driver);
      const outcome = confirmation.reverted('run-1', [lease], ep, 'planned_end');
      // the engine is back after ~2 s and the revert then takes 20 s: 15 s into it, no backstop may act
      await jest.advanceTimersByTimeAsync(17_000);
      expect((await ledger.get(lease.id))!.revertClaimedUntil!.getTime()).toBeGreaterThan(Date.now());
      await jest.advanceTimersByTimeAsync(10_000);
      await expect(outcome).resolves.not.toBeNull();
    } finally {
      jest.useRealTimers();
    }
  });

  it('holds the backstops off while it waits, and gives up after ENGINE_WAIT_MS', async () => {
    jest.useFakeTimers();
    try {
      const driver = new RestartingEngine(Number.MAX_SAFE_INTEGER, new Date());
      const { ledger, lease, confirmation, ep } = await setup(driver);
      const began = Date.now();
      let settledAt = 0;
      const outcome = confirmation.reverted('run-1', [lease], ep, 'planned_end').then(
        () => 'confirmed',
        (e: unknown) => ((settledAt = Date.now()), e instanceof EngineUnreachableError ? 'unreachable' : String(e)),
      );
      await jest.advanceTimersByTimeAsync(ENGINE_WAIT_MS / 2);
      // half-way, the claim still runs well past now: a backstop would not act yet
      const claimed = (await ledger.get(lease.id))!.revertClaimedUntil!.getTime();
      expect(claimed).toBeGreaterThan(Date.now() + 5_000);
      await jest.advanceTimersByTimeAsync(ENGINE_WAIT_MS);
      expect(await outcome).toBe('unreachable');
      expect(settledAt - began).toBeGreaterThan(ENGINE_WAIT_MS - 3_000);
      expect(settledAt - began).toBeLessThanOrEqual(ENGINE_WAIT_MS + 1_000);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('FaultConfirmation.revertNow (an abort)', () => {
  it("records a fault its helper's clock already took out at the helper's instant, not the abort's", async () => {
    const helperRevertedAt = new Date(Date.now() - 1_500);
    const { ledger, lease, confirmation } = await setup(new RestartingEngine(0, helperRevertedAt));
    const early = await confirmation.revertNow([lease], 'abort');
    expect(early.get(lease.id)).toMatchObject({ outcome: 'already_gone', at: helperRevertedAt });
    expect(await ledger.get(lease.id)).toMatchObject({ revertedAt: helperRevertedAt, revertReason: 'abort' });
  });

  it("records when the helper's clock applied a fault its lane had not confirmed yet (the abort cut it short)", async () => {
    const appliedAt = new Date(Date.now() - 700);
    const abortedAt = new Date();
    const driver = {
      engine: 'engine-a',
      revert: async (): Promise<RevertOutcome> => ({ reverted: true, result: { outcome: 'reverted', at: abortedAt } }),
      readTimeline: async (): Promise<HelperTimeline> => ({ state: 'reverted', appliedAt, revertedAt: abortedAt }),
    };
    const { ledger, lease, confirmation } = await setup(driver as unknown as RestartingEngine);
    await confirmation.revertNow([lease], 'abort');
    expect(await ledger.get(lease.id)).toMatchObject({
      injectedAt: appliedAt,
      revertedAt: abortedAt,
      revertReason: 'abort',
    });
  });
});

describe('FaultConfirmation.reverted beside a backstop removing the helper (a resumed run)', () => {
  it('asks the idempotent revert once more when an exec into the helper failed, and records its answer', async () => {
    const reverts: string[] = [];
    const driver = {
      engine: 'engine-a',
      readTimeline: async (): Promise<HelperTimeline> => ({ state: 'unknown' }),
      // the first exec lands in the helper the fault queue's revert is removing; the second finds
      // no helper, as the kind's revert does after a removal
      revert: async (): Promise<RevertOutcome> =>
        reverts.push('asked') === 1
          ? {
              reverted: false,
              error: new Error('gameday-helper revert failed with exit code 126: (no stderr)'),
            }
          : { reverted: true, result: { outcome: 'already_gone', at: new Date() } },
    };
    const { ledger, lease, events, confirmation, ep } = await setup(driver as unknown as RestartingEngine);

    const confirmed = await confirmation.reverted('run-1', [lease], ep, 'planned_end');

    expect(reverts).toHaveLength(2);
    expect(confirmed).not.toBeNull();
    expect((await ledger.get(lease.id))!.revertedAt).not.toBeNull();
    expect(events.filter((e) => e.type === 'fault.reverted')).toHaveLength(1);
  }, 20_000);

  it("takes a lease another layer's revert closed while it waited on the helper's record as that revert", async () => {
    let reverts = 0;
    const closer: { ledger?: InMemoryLeaseRepository } = {};
    const driver = {
      engine: 'engine-a',
      // the fault queue's revert closes the lease (and removes the helper) while this worker looks
      readTimeline: async (): Promise<HelperTimeline> => {
        await closer.ledger!.markReverted('lease-1', new Date(), 'planned_end');
        return { state: 'unknown' };
      },
      revert: async (): Promise<RevertOutcome> => (
        reverts++,
        { reverted: true, result: { outcome: 'already_gone', at: new Date() } }
      ),
    };
    const setUp = await setup(driver as unknown as RestartingEngine);
    closer.ledger = setUp.ledger;

    await setUp.confirmation.reverted('run-1', [setUp.lease], setUp.ep, 'planned_end');

    expect(reverts).toBe(0);
    expect(setUp.events.find((e) => e.type === 'fault.reverted')!.message).toMatch(/before this worker looked/);
  }, 20_000);

  it("still confirms a lease closed only by the helper's record (nothing has checked the netns yet)", async () => {
    let reverts = 0;
    const driver = {
      engine: 'engine-a',
      readTimeline: async (): Promise<HelperTimeline> => ({
        state: 'reverted',
        revertedAt: new Date(),
        revertReason: 'scheduled',
      }),
      revert: async (): Promise<RevertOutcome> => (
        reverts++,
        { reverted: true, result: { outcome: 'already_gone', at: new Date() } }
      ),
    };
    const { ledger, lease, confirmation, ep } = await setup(driver as unknown as RestartingEngine);

    await confirmation.reverted('run-1', [lease], ep, 'planned_end');

    expect(reverts).toBe(1);
    expect(await ledger.get(lease.id)).toMatchObject({ revertReason: 'helper_scheduled' });
  }, 20_000);

  it('fails when the second answer fails too (a revert that does not work is not hidden)', async () => {
    const driver = {
      engine: 'engine-a',
      readTimeline: async (): Promise<HelperTimeline> => ({ state: 'unknown' }),
      revert: async (): Promise<RevertOutcome> => ({ reverted: false, error: new Error('tc failed') }),
    };
    const { lease, confirmation, ep } = await setup(driver as unknown as RestartingEngine);
    await expect(confirmation.reverted('run-1', [lease], ep, 'planned_end')).rejects.toThrow('tc failed');
  }, 20_000);
});

describe('FaultConfirmation.reverted of a lease another layer closed already (a resumed run)', () => {
  it('keeps that record and asks the engine nothing (its helper may be being removed)', async () => {
    const closedAt = new Date(Date.now() + 4);
    let asked = 0;
    const driver = {
      engine: 'engine-a',
      // the helper the fault queue's revert is removing: an exec into it fails
      revert: async (): Promise<RevertOutcome> => (
        asked++,
        { reverted: false, error: new Error('iptables-legacy -w -t filter -S failed with exit code 126: (no stderr)') }
      ),
      readTimeline: async (): Promise<HelperTimeline> => (asked++, { state: 'unknown' }),
    };
    const { ledger, lease, events, confirmation, ep } = await setup(driver as unknown as RestartingEngine);
    await ledger.markReverted(lease.id, closedAt, 'planned_end');

    const confirmed = await confirmation.reverted('run-1', [lease], ep, 'planned_end');

    expect(confirmed!.at).toEqual(closedAt);
    expect(asked).toBe(0);
    expect(await ledger.get(lease.id)).toMatchObject({ revertedAt: closedAt, revertReason: 'planned_end' });
    expect(events.find((e) => e.type === 'fault.reverted')!.message).toMatch(
      /recorded before this worker looked: planned_end/,
    );
  });
});

/** A fault its helper applied 10 ms after T0, whose check finds it gone (the helper's clock took it out at T1). */
const appliedThenGone = () => ({
  engine: 'engine-a',
  readTimeline: async (): Promise<HelperTimeline> => ({ state: 'applied', appliedAt: new Date(Date.now() - 4_990) }),
  verify: async () => ({ ok: false, reasons: ['missing: -A INPUT -j GAMEDAY-IN'] }),
});

/** The apply confirmed well before the fault's planned end (a check failing then is a finding). */
async function injectedBeforeEnd(driver: ReturnType<typeof appliedThenGone>) {
  const { lease, confirmation, ep } = await setup(driver as unknown as RestartingEngine);
  return confirmation.injected('run-1', [lease], { ...ep, revertAt: Date.now() + 60_000 }, 'network');
}

describe('FaultConfirmation.injected of a short fault confirmed after its own end', () => {
  it('does not call a fault gone by its planned end "not as intended"', async () => {
    const driver = appliedThenGone();
    const { lease, confirmation, ep } = await setup(driver as unknown as RestartingEngine);

    const confirmed = await confirmation.injected('run-1', [lease], ep, 'network');

    expect(confirmed!.unverified).toEqual([]);
  }, 20_000);

  it('still reports a check that fails before the planned end', async () => {
    const driver = appliedThenGone();
    const confirmed = await injectedBeforeEnd(driver);

    expect(confirmed!.unverified).toEqual([expect.stringMatching(/is not as intended: missing/)]);
  }, 20_000);
});

describe('FaultConfirmation.injected when the check itself cannot run', () => {
  // an exec into a helper whose target restarted under it fails (exit 126): seen in the lab's
  // target-restart trials, where it failed the run instead of reporting the fault not as intended
  const checkFails = (error: Error) => ({ ...appliedThenGone(), verify: async () => Promise.reject(error) });

  it('reports a check that could not run as a failed check, not a failed run', async () => {
    const driver = checkFails(new Error('gameday-helper status failed with exit code 126: (no stderr)'));
    const confirmed = await injectedBeforeEnd(driver);

    expect(confirmed!.unverified).toEqual([
      expect.stringMatching(/could not be checked: gameday-helper status failed with exit code 126/),
    ]);
  }, 20_000);

  it('takes an engine that does not answer as no verdict', async () => {
    const driver = checkFails(refused());
    const confirmed = await injectedBeforeEnd(driver);

    expect(confirmed!.unverified).toEqual([]);
  }, 20_000);
});

describe('a step its helper did not begin for want of a worker’s heartbeat', () => {
  /** A helper that cancelled its plan when it readied it: no heartbeat came in time. */
  const unbegun = () => {
    const asked: string[] = [];
    return {
      asked,
      engine: 'engine-a',
      async readTimeline(): Promise<HelperTimeline> {
        asked.push('readTimeline');
        return { state: 'reverted', revertReason: 'no_heartbeat' };
      },
      async revert(): Promise<RevertOutcome> {
        asked.push('revert');
        return { reverted: true, result: { outcome: 'already_gone', at: new Date() } };
      },
    };
  };

  it('at its T1 is closed as not begun, with no revert instant to confirm', async () => {
    const driver = unbegun();
    const { ledger, lease, events, confirmation, ep } = await setup(driver as unknown as RestartingEngine);

    const confirmed = await confirmation.reverted('run-1', [lease], ep, 'planned_end');

    expect(confirmed).toBeNull();
    expect((await ledger.get(lease.id))!).toMatchObject({ revertReason: 'no_heartbeat' });
    expect((await ledger.get(lease.id))!.injectedAt).toBeFalsy();
    expect(events.map((e) => e.type)).toEqual(['fault.not_begun']);
    expect(events[0].message).toMatch(/not begun on target: its helper heard no worker's heartbeat/);
    // nothing is in place: no revert is asked for
    expect(driver.asked).not.toContain('revert');
  }, 20_000);

  it('at its T0 is put on record as not begun, not failed as a fault that did not apply', async () => {
    // a run taken over too late for its opening step ended failed, with no result
    const { ledger, lease, events, confirmation, ep } = await setup(unbegun() as unknown as RestartingEngine);

    await expect(confirmation.injected('run-1', [lease], ep, 'network')).resolves.toBeNull();
    expect(events.map((e) => e.type)).toEqual(['fault.not_begun']);
    expect(events[0].message).toMatch(/not begun on target: its helper heard no worker's heartbeat/);
    expect((await ledger.get(lease.id))!).toMatchObject({ revertReason: 'no_heartbeat' });
    expect((await ledger.get(lease.id))!.injectedAt).toBeFalsy();
  }, 20_000);
});

describe('FaultConfirmation.injected of a step its helper applied and removed before anyone looked (a run taken over)', () => {
  // A worker killed between a step's T0 and its confirmation leaves the run `injecting`; the worker
  // that takes it over (10-15 s later) finds the helper's record `reverted` when the step was shorter
  // than that: applied by its clock and out again by it, as planned. A lab trial's run ended failed
  // with no result on "was not applied (helper state reverted)".
  const appliedAt = new Date(Date.now() - 4_000);
  const revertedAt = new Date(Date.now() - 1_000);
  const outAgain = () => ({
    engine: 'engine-a',
    verified: 0,
    async readTimeline(): Promise<HelperTimeline> {
      return { state: 'reverted', appliedAt, revertedAt, revertReason: 'scheduled' };
    },
    async verify() {
      this.verified++;
      return { ok: false, reasons: ['missing'] };
    },
  });

  it('confirms it as applied at the helper’s instant, with nothing to check', async () => {
    const driver = outAgain();
    const { ledger, lease, events, confirmation, ep } = await setup(driver as unknown as RestartingEngine);

    const confirmed = await confirmation.injected('run-1', [lease], ep, 'network');

    expect(confirmed).toMatchObject({ at: appliedAt, unverified: [] });
    expect((await ledger.get(lease.id))!.injectedAt).toEqual(appliedAt);
    expect(events.map((e) => e.type)).toEqual(['fault.applied']);
    expect(events[0].message).toMatch(/removed again by its helper's clock/);
    expect(driver.verified).toBe(0);
  }, 20_000);
});

describe("a container fault's planned end is its watchdog's", () => {
  // The worker stood the watchdog down at T1 and unpaused from here: 8.5-11 s late in the lab's busy
  // guest (bad-afternoon's database-frozen step), while the watchdog acts at T1 by itself.
  async function guardedLease(guardExitsInMs: number) {
    const ledger = new InMemoryLeaseRepository();
    const t1 = Date.now() + 100;
    const lease = await ledger.record({
      experimentIndex: 0,
      kind: 'container',
      strategy: 'docker',
      engine: 'engine-a',
      containerId: 'db',
      containerName: 'db',
      helperContainerId: 'watchdog',
      applyArgv: [['docker', 'pause']],
      revertArgv: [['docker', 'unpause']],
      expiresAt: new Date(t1),
    });
    const actedAt = new Date(t1 + guardExitsInMs);
    const asked: number[] = [];
    const driver = {
      engine: 'engine-a',
      async hasLiveHelper() {
        return Date.now() < actedAt.getTime();
      },
      async revert(): Promise<RevertOutcome> {
        asked.push(Date.now());
        // as the container kind answers once its watchdog acted: the watchdog's instant
        return { reverted: true, result: { outcome: 'reverted', at: actedAt, removedBy: 'watchdog' } };
      },
    };
    const { confirmation } = confirmationOver(driver, ledger);
    return { ledger, lease, asked, actedAt, confirmation, ep: planEndingAt(t1), t1 };
  }

  it('is left to a live watchdog at T1, and confirmed once it acted: its instant on record', async () => {
    const { ledger, lease, asked, actedAt, confirmation, ep, t1 } = await guardedLease(400);
    await new Promise((r) => setTimeout(r, t1 - Date.now()));

    expect((await confirmation.revertAtPlannedEnd([lease])).size).toBe(0);
    expect(asked).toEqual([]);
    const confirmed = await confirmation.reverted('run-1', [lease], ep, 'planned_end');

    expect(asked).toHaveLength(1);
    expect(asked[0]).toBeGreaterThanOrEqual(actedAt.getTime());
    expect(confirmed!.at).toEqual(actedAt);
    expect((await ledger.get(lease.id))!.revertedAt).toEqual(actedAt);
  }, 20_000);

  it('is reverted from here when no watchdog runs, and when it has not acted within its grace', async () => {
    const gone = await guardedLease(-1_000);
    await new Promise((r) => setTimeout(r, gone.t1 - Date.now()));
    expect((await gone.confirmation.revertAtPlannedEnd([gone.lease])).size).toBe(1);

    const stuck = await guardedLease(60_000);
    const confirmed = await stuck.confirmation.reverted('run-1', [stuck.lease], stuck.ep, 'planned_end');
    expect(stuck.asked).toHaveLength(1);
    // asked after the grace (T1 + 2 s), not after the watchdog's minute
    expect(stuck.asked[0] - stuck.t1).toBeGreaterThanOrEqual(1_900);
    expect(stuck.asked[0] - stuck.t1).toBeLessThan(4_000);
    expect(confirmed).not.toBeNull();
  }, 20_000);
});
