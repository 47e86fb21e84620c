import { Injectable } from '@nestjs/common';
import { RunRepository, type Run } from '@gameday/db';
import type { RunLauncher } from '../../apps/worker/src/launch/run-launcher';

/**
 * For tests of scheduling alone: the run is handed over and stops at `arming`, saying so in its
 * timeline, so those tests need no Docker target and never reach the fault engine.
 */
@Injectable()
export class StopAtArmingLauncher implements RunLauncher {
  constructor(private readonly runs: RunRepository) {}

  async launch(run: Run): Promise<void> {
    await this.runs.transition(
      run.id,
      'arming',
      { type: 'run.arming', message: 'scheduling test: the run stops at arming' },
      { startedAt: new Date() },
    );
  }
}
