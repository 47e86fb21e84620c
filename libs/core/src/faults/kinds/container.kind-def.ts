import { containerFaultSchema } from '../container.schema';
import type { FaultKindDef } from './fault-kind-def';

/** Container faults act through the Docker API: their leases run no argv from the ledger. */
export const containerKindDef = {
  name: 'container',
  schema: containerFaultSchema,
  ledgerArgv: null,
} as const satisfies FaultKindDef<'container'>;
