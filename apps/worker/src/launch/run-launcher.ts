import type { Run } from '@gameday/db';

/**
 * Takes a freshly created Run (status `scheduled`) and drives its lifecycle. The scheduler only
 * creates runs and hands them over here; the run lifecycle (arming, baseline, fault, recovery,
 * verdict) lives behind this interface.
 */
export interface RunLauncher {
  launch(run: Run): Promise<void>;
}

export const RUN_LAUNCHER = Symbol('RUN_LAUNCHER');
