import { resetFaultSchema } from '../reset.schema';
import type { FaultKindDef } from './fault-kind-def';

/**
 * Resets destroy sockets at T0 through the sidecar helper: nothing is left in place to remove, so
 * their leases run no argv from the ledger.
 */
export const resetKindDef = {
  name: 'reset',
  schema: resetFaultSchema,
  ledgerArgv: null,
} as const satisfies FaultKindDef<'reset'>;
