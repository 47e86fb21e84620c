import { Inject, Injectable } from '@nestjs/common';
import { CLOCK } from '@gameday/config';
import type { Clock } from '@gameday/core';
import { SafetyLeverRepository, type SafetyLeverState } from '@gameday/db';
import { METRICS, type GameDayMetrics } from '@gameday/metrics';
import { PROBLEM_TYPES, ProblemException } from '../common/problem';
import { AbortRequests } from '../runs/abort-requests.service';

/** What GameDay and run views show of the lever. */
export interface SafetyLeverView {
  engaged: boolean;
  reason: string | null;
  engagedAt: Date | null;
  engagedBy: string | null;
}

/**
 * The safety lever: engaging it aborts every running run (as abort-all does: Postgres first) and,
 * until an admin releases it, nothing fires (occurrences are recorded as skipped by the worker),
 * launches (run now answers 409) or arms (the executor refuses).
 */
@Injectable()
export class SafetyLeverService {
  constructor(
    private readonly lever: SafetyLeverRepository,
    private readonly aborts: AbortRequests,
    @Inject(METRICS) metrics: GameDayMetrics,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    metrics.watchSafetyLever(async () => (await this.lever.get()).engaged);
  }

  state(): Promise<SafetyLeverState> {
    return this.lever.get();
  }

  async view(): Promise<SafetyLeverView> {
    const { engaged, reason, engagedAt, engagedBy } = await this.lever.get();
    return { engaged, reason, engagedAt, engagedBy };
  }

  async engage(reason: string, by: string) {
    const at = this.clock.now();
    const { state } = await this.lever.engage(reason, by, at);
    // every time, not only the first: a run that slipped through is stopped too (idempotent)
    const aborted = await this.aborts.abortAll(`safety lever engaged: ${state.reason ?? reason}`, at);
    return { ...state, abortedRunIds: aborted.runIds, queued: aborted.queued };
  }

  release(by: string): Promise<SafetyLeverState> {
    return this.lever.release(by, this.clock.now());
  }

  /** 409 while the lever is engaged. */
  async assertReleased(action: string): Promise<void> {
    const state = await this.lever.get();
    if (!state.engaged) return;
    throw new ProblemException({
      type: PROBLEM_TYPES.safetyLever,
      title: 'Conflict',
      status: 409,
      detail: `the safety lever is engaged (${state.reason ?? 'no reason given'}): ${action} is blocked until an admin releases it`,
      safetyLever: state,
    });
  }
}
