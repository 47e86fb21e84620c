/**
 * Exit codes are part of the CLI's contract: pipelines gate releases on them, so they are few,
 * stable and documented in the README (and in `gameday --help`).
 */
export const EXIT = Object.freeze({
  ok: 0,
  /** bad arguments, an unreadable or invalid file, or the API rejected the input (400/422) */
  invalid: 1,
  /**
   * `watch`, `report --format junit|json`: the run ended without a verdict on the hypothesis;
   * `dry-run`: an experiment has no target
   */
  inconclusive: 2,
  /** the API refused or failed the request (401, 403, 404, 409, 5xx) */
  api: 3,
  /** the API could not be reached (connection refused, DNS, timeout) */
  network: 4,
});

/** `watch` (and `report --format junit|json`) also use 1 for a violated hypothesis: anything but 0 stops a release. */
export const VERDICT_EXIT: Readonly<Record<string, number>> = Object.freeze({
  hypothesis_held: EXIT.ok,
  hypothesis_violated: 1,
  aborted: EXIT.inconclusive,
  inconclusive: EXIT.inconclusive,
});

/**
 * The exit code of a finished run: its verdict decides; a run that ended without one (failed,
 * cancelled, skipped) is not evidence that the hypothesis held.
 */
export function exitCodeForVerdict(verdict: string | null | undefined): number {
  if (!verdict || !Object.hasOwn(VERDICT_EXIT, verdict)) return EXIT.inconclusive;
  return VERDICT_EXIT[verdict];
}

export const HELP_EXIT_CODES = `
Exit codes:
  0  success (watch, report --format junit|json: hypothesis_held)
  1  usage or validation error: bad arguments, invalid file, API answered 400/422
     (watch, report --format junit|json: hypothesis_violated)
  2  watch, report --format junit|json: run aborted, failed, cancelled, inconclusive or
     unfinished; dry-run: an experiment has no target
  3  the API refused or failed the request (401, 403, 404, 409, 5xx)
  4  the API could not be reached
  130 watch stopped with Ctrl-C (the run goes on)`;
