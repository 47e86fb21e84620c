import { Inject, Injectable } from '@nestjs/common';
import type { Clock } from '@gameday/core';
import { CLOCK } from '@gameday/config';
import { SafetyLeverRepository } from '@gameday/db';
import { METRICS, type GameDayMetrics } from '@gameday/metrics';
import type { RunControl } from './run-control';

/**
 * The executor's side of the safety lever: while it is engaged no experiment arms. The run is
 * aborted with the lever's reason (engaging the lever also records an abort on every running run;
 * this catches a run that started after it).
 */
@Injectable()
export class SafetyLeverGuard {
  constructor(
    private readonly lever: SafetyLeverRepository,
    @Inject(METRICS) metrics: GameDayMetrics,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    metrics.watchSafetyLever(async () => (await this.lever.get()).engaged);
  }

  /** Aborts the run (throws RunAbortedError) when the lever is engaged. */
  async refuseArming(control: RunControl): Promise<void> {
    const state = await this.lever.get();
    if (state.engaged)
      control.abort({
        trigger: 'operator',
        reason: `safety lever engaged: ${state.reason ?? 'no reason given'}; nothing arms until an admin releases it`,
        at: this.clock.now().getTime(),
      });
    control.throwIfAborted();
  }
}
