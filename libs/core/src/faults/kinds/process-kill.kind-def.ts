import { processKillFaultSchema, processKillWindowIssues, type ProcessKillFaultSpec } from '../process-kill.schema';
import type { FaultKindDef } from './fault-kind-def';

/**
 * Process kills are signals sent by the sidecar helper in the target's PID namespace: nothing is
 * left in place to remove, so their leases run no argv from the ledger (a revert only stops the
 * helper's repetition, through the helper itself).
 */
export const processKillKindDef = {
  name: 'process-kill',
  schema: processKillFaultSchema,
  ledgerArgv: null,
  windowIssues: (fault, windowMs) => processKillWindowIssues(fault as ProcessKillFaultSpec, windowMs),
} as const satisfies FaultKindDef<'process-kill'>;
