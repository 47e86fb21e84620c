import { Injectable } from '@nestjs/common';
import { RunRepository, type Run } from '@gameday/db';

/**
 * Takes a freshly created Run (status `scheduled`) and drives its lifecycle. The scheduler only
 * creates runs and hands them over here; the run lifecycle (arming, baseline, fault, recovery,
 * verdict) lives behind this interface.
 */
export interface RunLauncher {
  launch(run: Run): Promise<void>;
}

export const RUN_LAUNCHER = Symbol('RUN_LAUNCHER');

/** Until the fault engine is wired in, a run stops at `arming` and says so in its timeline. */
@Injectable()
export class PendingFaultEngineLauncher implements RunLauncher {
  constructor(private readonly runs: RunRepository) {}

  async launch(run: Run): Promise<void> {
    await this.runs.transition(
      run.id,
      'arming',
      { type: 'run.arming', message: 'fault engine not wired yet: the run stops at arming' },
      { startedAt: new Date() },
    );
  }
}
