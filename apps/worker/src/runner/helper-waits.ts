import {
  EngineUnreachableError,
  type Clock,
  type FaultDriver,
  type FaultLease,
  type HelperTimeline,
} from '@gameday/core';
import type { LeaseLedger } from './lease-ledger';
import { REVERT_CLAIM_MS } from './lease-revert';

// How the confirmations of FaultConfirmation wait: for the helper's record to move on, and for an
// engine that does not answer.
/** How long after the first look we wait for the helper to report that it applied/reverted. */
const CONFIRM_TIMEOUT_MS = 5_000;
/**
 * Each look at the helper's record is a `docker exec` that competes for the engine's CPU with the
 * helper doing its work and with the system under test. At T0/T1 the helper is busy with its tc
 * steps: the first look waits until it is most likely done (tens of ms on a host, about a second
 * on the lab's one virtual CPU, where looks from the start made the apply seconds late), then
 * backs off.
 */
const FIRST_LOOK_MS = 500;
const LOOK_DELAYS_MS = [250, 500, 1_000];

export const UNKNOWN: HelperTimeline = { state: 'unknown' };

/**
 * How long the planned revert's confirmation waits for an engine that does not answer. A dockerd
 * restart took 14 s in the lab's one-vCPU guest; meanwhile the helper's clock has the fault out,
 * and the backstops would find the same engine away.
 */
export const ENGINE_WAIT_MS = 60_000;

/**
 * Retries `op` while the engine does not answer (a dockerd restart) for up to ENGINE_WAIT_MS.
 * From the first miss on, `holdClaim` is called every few seconds until the op gets through or the
 * wait is over: the attempt that reaches an engine just back can itself take many seconds (16 s of
 * execs in the lab), and a lapsed claim let the revert job and the reaper repeat them meanwhile.
 * `awayMs` is from the first attempt that found the engine away to the one that got through.
 */
export async function whileEngineAway<T>(
  clock: Clock,
  op: () => Promise<T>,
  holdClaim: () => Promise<void>,
): Promise<{ value: T; awayMs: number }> {
  // how long the engine is waited for is measured: a stepped wall clock must not shorten it
  const deadline = clock.monotonicMs() + ENGINE_WAIT_MS;
  let firstMiss: number | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  try {
    for (let delay = 250; ; delay = Math.min(delay * 2, 2_000)) {
      const attempt = clock.monotonicMs();
      try {
        const value = await op();
        return { value, awayMs: firstMiss === undefined ? 0 : attempt - firstMiss };
      } catch (err) {
        if (!(err instanceof EngineUnreachableError) || clock.monotonicMs() + delay > deadline) throw err;
        if (firstMiss === undefined) {
          firstMiss = attempt;
          await holdClaim();
          // never past the deadline: a hung attempt must not hold the backstops off for good
          heartbeat = setInterval(() => {
            if (clock.monotonicMs() < deadline) void holdClaim().catch(() => undefined);
          }, REVERT_CLAIM_MS / 3);
        }
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  } finally {
    clearInterval(heartbeat);
  }
}

/** How long after its deadline (the lease's expiry) a guard is given to act and exit. */
export const GUARD_ACT_MS = 2_000;
/** each look is an inspect the engine pays for: a few per second, not a busy loop */
const GUARD_LOOK_MS = 200;

/**
 * Waits while the lease's guard (a container fault's watchdog) still runs, until GUARD_ACT_MS after
 * the lease's expiry: the guard acts at that instant by the engine's clock, then exits.
 */
export async function waitForGuard(clock: Clock, driver: FaultDriver, lease: FaultLease): Promise<void> {
  const waitMs = lease.expiresAt.getTime() + GUARD_ACT_MS - clock.now().getTime();
  if (waitMs <= 0) return;
  // how long we wait is measured: a stepped wall clock must not lengthen it
  const until = clock.monotonicMs() + waitMs;
  while (clock.monotonicMs() < until && (await driver.hasLiveHelper?.(lease).catch(() => false)))
    await new Promise((r) => setTimeout(r, GUARD_LOOK_MS));
}

/** Reads the helper's record (recording what it says) until it leaves the given states or the deadline passes. */
export async function waitWhile(
  clock: Clock,
  driver: FaultDriver,
  ledger: LeaseLedger,
  lease: FaultLease,
  states: HelperTimeline['state'][],
  plannedAt: number,
): Promise<HelperTimeline> {
  const read = () => ledger.readTimeline(driver, lease).catch(() => UNKNOWN);
  // the planned instant is wall time; how long we keep looking is measured
  const firstLook = plannedAt + FIRST_LOOK_MS;
  const wait = firstLook - clock.now().getTime();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const deadline = clock.monotonicMs() + CONFIRM_TIMEOUT_MS;
  let timeline = await read();
  for (let i = 0; states.includes(timeline.state) && clock.monotonicMs() < deadline; i++) {
    await new Promise((r) => setTimeout(r, LOOK_DELAYS_MS[Math.min(i, LOOK_DELAYS_MS.length - 1)]));
    timeline = await read();
  }
  return timeline;
}
