import { stressFaultSchema } from '../stress.schema';
import type { FaultKindDef } from './fault-kind-def';

/**
 * Stress faults are stress-ng processes of the sidecar helper (in the target's cgroup, in the
 * helper's own PID namespace): they end with the helper, so their leases run no argv from the
 * ledger (a revert stops them through the helper; removing the helper kills them all).
 */
export const stressKindDef = {
  name: 'stress',
  schema: stressFaultSchema,
  ledgerArgv: null,
} as const satisfies FaultKindDef<'stress'>;
