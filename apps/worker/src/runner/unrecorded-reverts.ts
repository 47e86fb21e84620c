import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { LeaseRepository, RevertResult } from '@gameday/core';
import { LeaseLedger, revertReason } from './lease-ledger';
import { LEASE_REPOSITORY } from './runner.tokens';

export interface Unrecorded {
  at: Date;
  reason: string;
}

/**
 * Reverts this worker made from memory (T1, a failing run, an abort) that the ledger has not
 * recorded yet: Postgres may be what failed. They are written with their true instants as soon as
 * Postgres answers: by the next reaper sweep, and by any revert of this worker that reaches the
 * lease first (revertLease asks here), which would otherwise find the fault already gone and
 * record the moment it noticed, seconds or minutes late.
 */
@Injectable()
export class UnrecordedReverts implements OnModuleDestroy {
  private readonly logger = new Logger(UnrecordedReverts.name);
  private readonly pending = new Map<string, Unrecorded>();

  private readonly ledger: LeaseLedger;

  constructor(@Inject(LEASE_REPOSITORY) leases: LeaseRepository) {
    this.ledger = new LeaseLedger(leases);
  }

  /** Keeps the first instant per lease: a later idempotent revert only confirms it was gone. */
  add(results: ReadonlyMap<string, RevertResult>, reason: string): void {
    for (const [leaseId, result] of results)
      if (!this.pending.has(leaseId))
        this.pending.set(leaseId, { at: result.at, reason: revertReason(result, reason) });
  }

  /** The instant and reason this worker reverted the lease at, if the ledger has not recorded it yet. */
  get(leaseId: string): Unrecorded | undefined {
    return this.pending.get(leaseId);
  }

  /** The ledger recorded it (through revertLease). */
  forget(leaseId: string): void {
    this.pending.delete(leaseId);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Records what it can; what Postgres refuses stays pending for the next call. Never throws. */
  async flush(): Promise<void> {
    for (const [leaseId, r] of [...this.pending]) {
      try {
        // first revert wins: a lease already closed (the executor's own confirmation) is left as it is
        await this.ledger.reverted(leaseId, r.at, r.reason);
        this.pending.delete(leaseId);
      } catch {
        return; // Postgres still away: the rest would fail the same way
      }
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush();
    for (const [leaseId, r] of this.pending)
      this.logger.warn(
        `lease ${leaseId} was reverted at ${r.at.toISOString()} (${r.reason}) but Postgres never recorded it; the reaper will close it`,
      );
  }
}
