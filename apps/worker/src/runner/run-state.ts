import { assertTransition, type RunStatus } from '@gameday/core';
import type { RunRepository } from '@gameday/db';

type TransitionEvent = Parameters<RunRepository['transition']>[2];
type TransitionFields = Parameters<RunRepository['transition']>[3];

/** The run's status as this executor knows it, moved only along legal transitions, compare-and-set. */
export class RunState {
  constructor(
    private readonly runs: RunRepository,
    private readonly runId: string,
    public status: RunStatus,
    /** this executor's fencing token: a write after another executor took the run fails */
    private readonly fence?: number,
  ) {}

  async to(next: RunStatus, event: TransitionEvent, fields?: TransitionFields): Promise<void> {
    assertTransition(this.status, next);
    await this.runs.transition(this.runId, next, { phase: next, ...event }, fields, this.fence);
    this.status = next;
  }
}
