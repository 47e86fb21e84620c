/**
 * Whether a verification that found the fault missing means the fault was lost during its window.
 * Its `tc qdisc show` ran somewhere between the question and the answer: an answer that came at or
 * after the planned end cannot tell a lost fault from the helper's own revert at the end. (In the
 * lab, one verification asked 2 s before the end answered 1.2 s after it, and the run was aborted
 * as "fault disappeared" by its own planned revert.)
 */
export function faultLost(verifiedOk: boolean, answeredAtMs: number, plannedEndMs: number): boolean {
  return !verifiedOk && answeredAtMs < plannedEndMs;
}
