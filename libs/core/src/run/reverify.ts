/**
 * While a fault is in place the executor checks now and then that it still is (a restarted target
 * or another tool may have removed it). Each check is a few `docker exec`s: milliseconds on a
 * host, 4-7 s on the lab's one virtual CPU, where checks every 5 s kept the engine busy for most
 * of the fault window and one that began 2 s before the planned revert held the executor 7 s past
 * it (the backstops then repeated its execs in the first seconds of recovery). So the spacing
 * follows what the last check cost, and no check begins that would still run at the revert.
 */
export const REVERIFY_EVERY_MS = 5_000;
/** a check takes at most this share of the engine's time */
const REVERIFY_MAX_SHARE = 0.2;
/** what must remain between a check's expected end and the planned revert */
const REVERIFY_MARGIN_MS = 2_000;

/** When the next check is due after one that ended at `endedAt` and took `costMs`. */
export function nextReverifyAt(endedAt: number, costMs: number): number {
  return endedAt + Math.max(REVERIFY_EVERY_MS, costMs / REVERIFY_MAX_SHARE - costMs);
}

/** Whether a check that takes about as long as the last one still ends well before the revert. */
export function mayReverify(now: number, revertAt: number, lastCostMs: number): boolean {
  return now + lastCostMs + REVERIFY_MARGIN_MS < revertAt;
}
