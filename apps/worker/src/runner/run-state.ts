import { assertTransition, type RunStatus } from '@gameday/core';
import type { RunRepository } from '@gameday/db';

type TransitionEvent = Parameters<RunRepository['transition']>[2];
type TransitionFields = Parameters<RunRepository['transition']>[3];

/** The run's status as this process knows it, moved only along legal transitions. */
export class RunState {
  constructor(
    private readonly runs: RunRepository,
    private readonly runId: string,
    public status: RunStatus,
  ) {}

  async to(next: RunStatus, event: TransitionEvent, fields?: TransitionFields): Promise<void> {
    assertTransition(this.status, next);
    await this.runs.transition(this.runId, next, { phase: next, ...event }, fields);
    this.status = next;
  }
}
