/**
 * Queue and job names are part of the contract between the API and the worker (and survive
 * deployments inside Redis): they are frozen here and nowhere else.
 */
export const QUEUES = Object.freeze({
  /** occurrences of GameDays: one delayed job per one-shot, one job scheduler per cron GameDay */
  schedule: 'gameday-schedule',
  /** runs to launch now (run-now from the API) */
  run: 'gameday-run',
  /** fault apply/revert timers of the fault engine */
  fault: 'gameday-fault',
} as const);
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const JOBS = Object.freeze({
  /** an occurrence of a GameDay fires (schedule queue) */
  fire: 'fire',
  /** launch an existing Run row (run queue) */
  launch: 'launch',
} as const);

/** Deterministic ids: re-syncing the same GameDay never produces a second job. */
export const jobIds = Object.freeze({
  oneShot: (gameDayId: string) => `at-${gameDayId}`,
  scheduler: (gameDayId: string) => `cron-${gameDayId}`,
  launch: (runId: string) => `launch-${runId}`,
});
