import type { FaultSpec } from './fault.schema';

/**
 * One injected fault in the ledger. It carries everything revert needs (engine, container, helper,
 * exact argv), so the reaper can undo it from the database alone after every other process died.
 */
export interface FaultLease {
  id: string;
  runId?: string | null;
  experimentIndex: number;
  kind: FaultSpec['kind'];
  strategy: 'sidecar' | 'exec' | 'nsenter' | 'docker';
  engine: string;
  containerId: string;
  containerName: string;
  netnsId?: string | null;
  device?: string | null;
  handle?: string | null;
  helperContainerId?: string | null;
  applyArgv: string[][];
  verifyArgv?: string[][] | null;
  revertArgv: string[][];
  details?: LeaseDetails | null;
  plannedAt?: Date | null;
  injectedAt?: Date | null;
  expiresAt: Date;
  revertedAt?: Date | null;
  revertReason?: string | null;
  revertAttempts: number;
  lastError?: string | null;
  /** the executor confirming the planned revert holds the lease until then; the backstops wait */
  revertClaimedUntil?: Date | null;
}

/**
 * A lease's details: what every kind's row may carry, and the kind's own part (`kindPart`), which
 * only its module in libs/faults types and reads (the expected tree, the rules, the plan: what
 * its verify and revert need), so a new kind adds nothing here.
 */
export interface LeaseDetails<K = unknown> {
  /** The fault kind's own part of the row, typed by its module. */
  kindPart?: K;
  /** The helper's self-expiry instant (expiresAt + grace). */
  selfExpiryAt?: string;
  applyAt?: string;
  revertAt?: string;
  /** what the helper's instants were shifted by (its clock minus the worker's), ms */
  clockCorrectionMs?: number;
  /** the plan's nonce (PreparedFault.abortNonce): an abort line on the helper's stdin must carry it */
  abortNonce?: string;
  warnings?: string[];
  /** the experiment step this fault is (an experiment with `steps`): reports and timelines name it */
  step?: string;
  /** the plan begins only if the worker's heartbeat came within this long (ScheduleOptions.heartbeatMs) */
  heartbeatMs?: number;
  /** nsenter: the netns inode armed; apply and revert act only while the target's PID still leads there */
  netnsInode?: string;
}

// every field but the kind's part: the type refuses a field of LeaseDetails missing here
const COMMON_DETAILS: Record<Exclude<keyof LeaseDetails, 'kindPart'>, true> = {
  selfExpiryAt: true,
  applyAt: true,
  revertAt: true,
  clockCorrectionMs: true,
  abortNonce: true,
  warnings: true,
  step: true,
  heartbeatMs: true,
  netnsInode: true,
};

/**
 * The details of a ledger row as read back. A row written before kinds had a part of their own
 * (a lease still open when the new worker starts, which the reaper reverts) has the kind's fields
 * at the top level: every field that is not common is the kind's, under the same name, which is
 * how each kind's part names them still.
 */
export function leaseDetailsOf(raw: unknown): LeaseDetails | null {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return null;
  if (Object.hasOwn(raw, 'kindPart')) return raw as LeaseDetails;
  const entries = Object.entries(raw);
  const common = ([key]: [string, unknown]) => Object.hasOwn(COMMON_DETAILS, key);
  return {
    ...Object.fromEntries(entries.filter(common)),
    kindPart: Object.fromEntries(entries.filter((e) => !common(e))),
  } as LeaseDetails;
}

export type NewFaultLease = Omit<FaultLease, 'id' | 'revertedAt' | 'revertReason' | 'revertAttempts' | 'lastError'> & {
  id?: string;
};

/** The lease ledger behind an interface: Prisma in the worker, in memory in unit tests. */
export interface LeaseRepository {
  /** Called BEFORE the fault is applied: a crash mid-apply still leaves a row the reaper reverts. */
  record(lease: NewFaultLease): Promise<FaultLease>;
  markInjected(id: string, at: Date, update?: { helperContainerId?: string | null }): Promise<void>;
  /** Idempotent: a lease already reverted keeps its first revert time and reason. */
  markReverted(id: string, at: Date, reason: string): Promise<void>;
  recordRevertFailure(id: string, error: string): Promise<void>;
  /** Holds an open lease for the executor's revert confirmation until `until` (no-op once reverted). */
  claimRevert(id: string, until: Date): Promise<void>;
  listExpiredUnreverted(now: Date, limit?: number): Promise<FaultLease[]>;
  listActive(): Promise<FaultLease[]>;
  /** Any lease (open or closed) of one experiment: a run that armed it once never arms it again. */
  countForExperiment(runId: string, experimentIndex: number): Promise<number>;
  /** Every lease (open or closed) of one experiment, oldest first: what its report lists. */
  listForExperiment(runId: string, experimentIndex: number): Promise<FaultLease[]>;
  countOpenForRun(runId: string): Promise<number>;
  get(id: string): Promise<FaultLease | null>;
}

/** A process-local ledger: for unit tests and dry runs, never for production. */
export class InMemoryLeaseRepository implements LeaseRepository {
  private readonly rows = new Map<string, FaultLease>();
  private seq = 0;

  async record(lease: NewFaultLease): Promise<FaultLease> {
    const id = lease.id ?? `lease-${++this.seq}`;
    const row: FaultLease = { ...lease, id, revertedAt: null, revertReason: null, revertAttempts: 0, lastError: null };
    this.rows.set(id, row);
    return { ...row };
  }
  async markInjected(id: string, at: Date, update: { helperContainerId?: string | null } = {}): Promise<void> {
    const row = this.must(id);
    row.injectedAt = at;
    if (update.helperContainerId !== undefined) row.helperContainerId = update.helperContainerId;
  }
  async markReverted(id: string, at: Date, reason: string): Promise<void> {
    const row = this.must(id);
    if (row.revertedAt) return;
    row.revertedAt = at;
    row.revertReason = reason;
  }
  async recordRevertFailure(id: string, error: string): Promise<void> {
    const row = this.must(id);
    row.revertAttempts += 1;
    row.lastError = error;
  }
  async claimRevert(id: string, until: Date): Promise<void> {
    const row = this.must(id);
    if (!row.revertedAt) row.revertClaimedUntil = until;
  }
  async listExpiredUnreverted(now: Date, limit = 100): Promise<FaultLease[]> {
    return [...this.rows.values()]
      .filter((r) => !r.revertedAt && r.expiresAt.getTime() <= now.getTime())
      .sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime())
      .slice(0, limit)
      .map((r) => ({ ...r }));
  }
  async listActive(): Promise<FaultLease[]> {
    return [...this.rows.values()].filter((r) => !r.revertedAt).map((r) => ({ ...r }));
  }
  async countForExperiment(runId: string, experimentIndex: number): Promise<number> {
    return [...this.rows.values()].filter((r) => r.runId === runId && r.experimentIndex === experimentIndex).length;
  }
  async listForExperiment(runId: string, experimentIndex: number): Promise<FaultLease[]> {
    return [...this.rows.values()]
      .filter((r) => r.runId === runId && r.experimentIndex === experimentIndex)
      .map((r) => ({ ...r }));
  }
  async countOpenForRun(runId: string): Promise<number> {
    return [...this.rows.values()].filter((r) => r.runId === runId && !r.revertedAt).length;
  }
  async get(id: string): Promise<FaultLease | null> {
    const row = this.rows.get(id);
    return row ? { ...row } : null;
  }
  private must(id: string): FaultLease {
    const row = this.rows.get(id);
    if (!row) throw new Error(`no lease ${id}`);
    return row;
  }
}
