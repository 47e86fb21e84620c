import { EXEC_STRATEGY_REFUSED, type FaultDriver, usesExecStrategy } from '@gameday/core';

/**
 * The worker's side of GAMEDAY_ALLOW_EXEC_STRATEGY: when off, the driver refuses to prepare a
 * fault with the exec strategy, whatever the database says (a spec stored before the switch was
 * turned off, or written around the API). Reverts and dry runs are untouched.
 */
export function refuseExecStrategy(driver: FaultDriver, allowed: boolean): FaultDriver {
  if (allowed) return driver;
  return new Proxy(driver, {
    get(target, prop, receiver) {
      if (prop === 'prepare') {
        return async (...args: Parameters<FaultDriver['prepare']>) => {
          if (usesExecStrategy(args[0])) throw new Error(EXEC_STRATEGY_REFUSED);
          return target.prepare(...args);
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
