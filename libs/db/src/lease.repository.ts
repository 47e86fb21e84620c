import {
  leaseDetailsOf,
  TargetBusyError,
  type FaultLease,
  type LeaseRepository,
  type NewFaultLease,
} from '@gameday/core';
import { Prisma, type ActiveFault, type PrismaClient } from './generated/prisma/client';

function toLease(row: ActiveFault): FaultLease {
  return {
    id: row.id,
    runId: row.runId,
    experimentIndex: row.experimentIndex,
    kind: row.kind as FaultLease['kind'],
    strategy: row.strategy as FaultLease['strategy'],
    engine: row.engine,
    containerId: row.containerId,
    containerName: row.containerName,
    netnsId: row.netnsId,
    device: row.device,
    handle: row.handle,
    helperContainerId: row.helperContainerId,
    applyArgv: row.applyArgv as string[][],
    verifyArgv: (row.verifyArgv as string[][] | null) ?? null,
    revertArgv: row.revertArgv as string[][],
    // a row of the previous version (the kind's fields at the top level) reads as a new one
    details: leaseDetailsOf(row.details),
    plannedAt: row.plannedAt,
    injectedAt: row.injectedAt,
    expiresAt: row.expiresAt,
    revertedAt: row.revertedAt,
    revertReason: row.revertReason,
    revertAttempts: row.revertAttempts,
    lastError: row.lastError,
    revertClaimedUntil: row.revertClaimedUntil,
  };
}

const json = (v: unknown) => v as Prisma.InputJsonValue;

/** The lease ledger on the ActiveFault table: the reaper's source of truth after a crash. */
export class PrismaLeaseRepository implements LeaseRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async record(lease: NewFaultLease): Promise<FaultLease> {
    const lock = lease.netnsId ? `${lease.engine}|${lease.netnsId}` : null;
    if (lock && lease.runId) {
      // a later step of a run that holds the namespace: asked first, since the refused insert on the
      // way made a step due at T0 later (experiment-steps.int-spec: 160 and 177 ms late, then 88)
      const holder = await this.prisma.activeFault.findUnique({ where: { netnsLock: lock }, select: { runId: true } });
      if (holder?.runId === lease.runId) return toLease(await this.insert(lease, null));
    }
    try {
      return toLease(await this.insert(lease, lock));
    } catch (error) {
      if (!(error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') || !lock) throw error;
      const holder = await this.prisma.activeFault.findUnique({ where: { netnsLock: lock } });
      // the steps of one run are one owner: the run already holds the namespace through another
      // of its leases, which hands the lock on when it is reverted (markReverted)
      if (holder?.runId && holder.runId === lease.runId) return toLease(await this.insert(lease, null));
      throw new TargetBusyError(lease.containerName, holder && { leaseId: holder.id, runId: holder.runId });
    }
  }

  private insert(lease: NewFaultLease, netnsLock: string | null): Promise<ActiveFault> {
    return this.prisma.activeFault.create({
      data: {
        netnsLock,
        ...(lease.id ? { id: lease.id } : {}),
        runId: lease.runId ?? null,
        experimentIndex: lease.experimentIndex,
        kind: lease.kind,
        strategy: lease.strategy,
        engine: lease.engine,
        containerId: lease.containerId,
        containerName: lease.containerName,
        netnsId: lease.netnsId ?? null,
        device: lease.device ?? null,
        handle: lease.handle ?? null,
        helperContainerId: lease.helperContainerId ?? null,
        applyArgv: json(lease.applyArgv),
        verifyArgv: lease.verifyArgv ? json(lease.verifyArgv) : undefined,
        revertArgv: json(lease.revertArgv),
        details: lease.details ? json(lease.details) : undefined,
        plannedAt: lease.plannedAt ?? null,
        injectedAt: lease.injectedAt ?? null,
        expiresAt: lease.expiresAt,
      },
    });
  }

  async markInjected(id: string, at: Date, update: { helperContainerId?: string | null } = {}): Promise<void> {
    await this.prisma.activeFault.update({
      where: { id },
      data: {
        injectedAt: at,
        ...(update.helperContainerId !== undefined ? { helperContainerId: update.helperContainerId } : {}),
      },
    });
  }

  async markReverted(id: string, at: Date, reason: string): Promise<void> {
    const held = await this.prisma.activeFault.findFirst({
      where: { id, revertedAt: null, netnsLock: { not: null } },
      select: { netnsLock: true, runId: true, engine: true, netnsId: true },
    });
    // Conditional update: the first revert wins, a second one (helper + reaper) changes nothing.
    await this.prisma.activeFault.updateMany({
      where: { id, revertedAt: null },
      // the namespace is free for the next fault once this one is gone
      data: { revertedAt: at, revertReason: reason, netnsLock: null },
    });
    if (held?.runId) await this.handOn(id, held as typeof held & { netnsLock: string; runId: string });
  }

  /** The lock goes to another open lease of the same run in that namespace (a later step), if any. */
  private async handOn(
    from: string,
    held: { netnsLock: string; runId: string; engine: string; netnsId: string | null },
  ): Promise<void> {
    const next = await this.prisma.activeFault.findFirst({
      where: {
        id: { not: from },
        runId: held.runId,
        engine: held.engine,
        netnsId: held.netnsId,
        revertedAt: null,
        netnsLock: null,
      },
      select: { id: true },
    });
    // another run that took the namespace in between keeps it: this run's lease stays unlocked
    if (next)
      await this.prisma.activeFault
        .updateMany({ where: { id: next.id, revertedAt: null }, data: { netnsLock: held.netnsLock } })
        .catch(() => undefined);
  }

  async claimRevert(id: string, until: Date): Promise<void> {
    await this.prisma.activeFault.updateMany({ where: { id, revertedAt: null }, data: { revertClaimedUntil: until } });
  }

  async recordRevertFailure(id: string, error: string): Promise<void> {
    await this.prisma.activeFault.update({
      where: { id },
      data: { revertAttempts: { increment: 1 }, lastError: error.slice(0, 2000) },
    });
  }

  async listExpiredUnreverted(now: Date, limit = 100): Promise<FaultLease[]> {
    const rows = await this.prisma.activeFault.findMany({
      where: { revertedAt: null, expiresAt: { lte: now } },
      orderBy: { expiresAt: 'asc' },
      take: limit,
    });
    return rows.map(toLease);
  }

  async listActive(): Promise<FaultLease[]> {
    const rows = await this.prisma.activeFault.findMany({ where: { revertedAt: null }, orderBy: { createdAt: 'asc' } });
    return rows.map(toLease);
  }

  /** Any lease (open or closed) of one experiment: a run that armed it once never arms it again. */
  countForExperiment(runId: string, experimentIndex: number): Promise<number> {
    return this.prisma.activeFault.count({ where: { runId, experimentIndex } });
  }

  async listForExperiment(runId: string, experimentIndex: number): Promise<FaultLease[]> {
    const rows = await this.prisma.activeFault.findMany({
      where: { runId, experimentIndex },
      orderBy: { createdAt: 'asc' },
    });
    return rows.map(toLease);
  }

  countOpenForRun(runId: string): Promise<number> {
    return this.prisma.activeFault.count({ where: { runId, revertedAt: null } });
  }

  async get(id: string): Promise<FaultLease | null> {
    const row = await this.prisma.activeFault.findUnique({ where: { id } });
    return row ? toLease(row) : null;
  }
}
