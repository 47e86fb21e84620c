import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { ArmingLeadPolicy, FaultDriver } from '@gameday/core';

/**
 * What a test may change in the run lifecycle, through DI and nowhere else: the fault driver as
 * the executor sees it (e.g. a helper start slowed on purpose) and a shorter arming lead policy
 * (so a test of a slow arming takes seconds, not minutes). Production passes none.
 */
export interface RunnerHooks {
  wrapFaultDriver?: (driver: FaultDriver) => FaultDriver;
  armingPolicy?: ArmingLeadPolicy;
}

export const RUNNER_HOOKS = Symbol('RUNNER_HOOKS');

@Global()
@Module({})
export class RunnerHooksModule {
  static with(hooks: RunnerHooks = {}): DynamicModule {
    return {
      module: RunnerHooksModule,
      providers: [{ provide: RUNNER_HOOKS, useValue: hooks }],
      exports: [RUNNER_HOOKS],
    };
  }
}
