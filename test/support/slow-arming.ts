import type { FaultDriver } from '@gameday/core';

/** How long each helper start waits first; a test changes it between runs. */
export interface SlowArming {
  delayMs: number;
}

/**
 * The worker's fault driver with every helper start (prepare) delayed on purpose: arming as slow
 * as on a one-CPU engine, on the host's Docker. Handed to the worker through its DI
 * (RunnerHooks.wrapFaultDriver), never through the environment.
 */
export function slowHelperStart(driver: FaultDriver, slow: SlowArming): FaultDriver {
  return new Proxy(driver, {
    get(target, prop) {
      if (prop === 'prepare')
        return async (...args: Parameters<FaultDriver['prepare']>) => {
          await new Promise((resolve) => setTimeout(resolve, slow.delayMs));
          return target.prepare(...args);
        };
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
