import { containerFaultSchema, type ContainerFaultSpec } from '../container.schema';
import type { FaultKindDef } from './fault-kind-def';

/** Container faults act through the Docker API: their leases run no argv from the ledger. */
export const containerKindDef = {
  name: 'container',
  schema: containerFaultSchema,
  ledgerArgv: null,
  // every step is armed ahead, and arming a pause, stop or kill stands down the watchdog of any fault
  // armed before it on the same container (so a watchdog never undoes a later fault): the first
  // step would lose its guard. A restart has no watchdog.
  oneStepPerTarget: (fault) =>
    (fault as ContainerFaultSpec).action === 'restart'
      ? null
      : 'a container pause, stop or kill is guarded by one watchdog per container, and arming the second would stand the first one down: put them in separate experiments',
} as const satisfies FaultKindDef<'container'>;
