import { assertTransition } from '@gameday/core';
import { Injectable } from '@nestjs/common';
import { Prisma, type Run, type RunEvent, type RunStatus } from './generated/prisma/client';
import { PrismaService } from './prisma.service';
import { insertFiredRuns } from './fired-runs';
import { foldIntoSkipStreak, withSkipStreak, type SkipFolded } from './skip-streak';
import {
  ACTIVE_RUN_STATUSES,
  ENDED_RUN_STATUSES,
  type FiredRun,
  type Page,
  type RunCreate,
  type RunEventInput,
  type RunStore,
  type RunWithEvents,
} from './repository.types';

function eventData(runId: string, e: RunEventInput): Prisma.RunEventUncheckedCreateInput {
  return {
    runId,
    type: e.type,
    message: e.message,
    phase: e.phase ?? null,
    experimentIndex: e.experimentIndex ?? null,
    plannedAt: e.plannedAt ?? null,
    ...(e.at ? { at: e.at } : {}),
    ...(e.data !== undefined ? { data: e.data } : {}),
  };
}

/** Another executor took the run (its fencing token is newer): stop, write nothing, revert nothing. */
/** What a GameDay list shows of a recent run: its verdict and how far the steady state moved. */
export interface RecentRun {
  status: string;
  verdict: string | null;
  deviationRatio: number | null;
  scheduledFor: Date;
}

export class FencedError extends Error {
  constructor(
    readonly runId: string,
    readonly epoch: number,
  ) {
    super(`run ${runId} is driven by another executor now (this one held epoch ${epoch})`);
    this.name = 'FencedError';
  }
}

/** Another run of the GameDay has not ended: a new one may not start (concurrency policy forbid). */
export interface LiveRun {
  liveRunId: string;
  liveStatus: RunStatus;
}

export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

@Injectable()
export class RunRepository implements RunStore {
  constructor(private readonly prisma: PrismaService) {}

  async createForOccurrence(data: RunCreate, firstEvent: RunEventInput): Promise<Run | null> {
    try {
      return await this.prisma.$transaction(async (tx) => {
        const run = await tx.run.create({ data });
        await tx.runEvent.create({ data: eventData(run.id, firstEvent) });
        return run;
      });
    } catch (error) {
      if (isUniqueViolation(error)) return null;
      throw error;
    }
  }

  /**
   * Creates the run of an occurrence (or of a run-now) under the GameDay's row lock, so the
   * version it snapshots is the current one and, for a run that will execute, no other run of the
   * GameDay is live: one live run per GameDay, enforced here rather than read-then-write. A
   * skipped occurrence given its cause (`skipStreak`) joins the latest run's streak when it is
   * the same cause (core's foldSkip) instead of adding a row.
   */
  async createForFiring(data: RunCreate, firstEvent: RunEventInput): Promise<Run | null | 'superseded' | LiveRun>;
  async createForFiring(
    data: RunCreate,
    firstEvent: RunEventInput,
    skipStreak: string,
  ): Promise<Run | null | 'superseded' | LiveRun | SkipFolded>;
  async createForFiring(
    data: RunCreate,
    firstEvent: RunEventInput,
    skipStreak?: string,
  ): Promise<Run | null | 'superseded' | LiveRun | SkipFolded> {
    try {
      return await this.prisma.$transaction(async (tx) => {
        const rows = await tx.$queryRaw<{ version: number; status: string }[]>`
          SELECT version, status::text AS status FROM "GameDay" WHERE id = ${data.gameDayId}::uuid FOR UPDATE`;
        if (rows.length === 0 || rows[0].status !== 'active' || rows[0].version !== data.gameDayVersion)
          return 'superseded' as const;
        if (data.status === 'scheduled') {
          const live = await tx.run.findFirst({
            where: { gameDayId: data.gameDayId, status: { notIn: [...ENDED_RUN_STATUSES] } },
            select: { id: true, status: true },
          });
          if (live) return { liveRunId: live.id, liveStatus: live.status };
        }
        const streak = data.status === 'skipped' ? skipStreak : undefined;
        if (streak !== undefined) {
          const folded = await foldIntoSkipStreak(tx, data, streak);
          if (folded === 'duplicate') return null;
          if (folded) return folded;
        }
        const run = await tx.run.create({ data });
        const event = streak === undefined ? firstEvent : withSkipStreak(firstEvent, data, streak);
        await tx.runEvent.create({ data: eventData(run.id, event) });
        return run;
      });
    } catch (error) {
      if (isUniqueViolation(error)) return null;
      throw error;
    }
  }

  createFired(items: readonly FiredRun[]): Promise<(Run | null)[]> {
    return insertFiredRuns(this.prisma, items);
  }

  findById(id: string): Promise<RunWithEvents | null> {
    return this.prisma.run.findUnique({ where: { id }, include: { events: { orderBy: { id: 'asc' } } } });
  }

  async listForGameDay(gameDayId: string, limit: number, cursor?: string): Promise<Page<Run>> {
    const rows = await this.prisma.run.findMany({
      where: { gameDayId },
      orderBy: [{ scheduledFor: 'desc' }, { id: 'desc' }],
      take: limit + 1,
      ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
    });
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].id : null };
  }

  /**
   * The last `perGameDay` runs of each GameDay (newest first), for a list page: one query for the
   * page, never one per row (an index range per GameDay on (gameDayId, scheduledFor desc)).
   */
  async recentOf(gameDayIds: string[], perGameDay: number): Promise<Map<string, RecentRun[]>> {
    const byGameDay = new Map<string, RecentRun[]>(gameDayIds.map((id) => [id, []]));
    if (gameDayIds.length === 0) return byGameDay;
    const rows = await this.prisma.$queryRaw<(RecentRun & { gameDayId: string })[]>`
      SELECT g.id::text AS "gameDayId", r.status::text AS status, r.verdict::text AS verdict,
             (r.result ->> 'deviationRatio')::float8 AS "deviationRatio", r."scheduledFor"
      FROM unnest(${gameDayIds}::uuid[]) WITH ORDINALITY AS g(id, n)
      CROSS JOIN LATERAL (
        SELECT status, verdict, result, "scheduledFor", id FROM "Run"
        WHERE "gameDayId" = g.id ORDER BY "scheduledFor" DESC, id DESC LIMIT ${perGameDay}
      ) r
      ORDER BY g.n, r."scheduledFor" DESC, r.id DESC`;
    for (const { gameDayId, ...run } of rows) byGameDay.get(gameDayId)?.push(run);
    return byGameDay;
  }

  listFinished(gameDayId: string, limit: number): Promise<Run[]> {
    return this.prisma.run.findMany({
      where: { gameDayId, finishedAt: { not: null }, status: { not: 'skipped' } },
      orderBy: [{ scheduledFor: 'desc' }, { id: 'desc' }],
      take: limit,
    });
  }

  async hasActiveRun(gameDayId: string): Promise<boolean> {
    return (await this.prisma.run.count({ where: { gameDayId, status: { in: [...ACTIVE_RUN_STATUSES] } } })) > 0;
  }

  /**
   * Moves the run to `status`. With a fence (the executor's epoch) the write is compare-and-set:
   * an executor that lost the run to another gets FencedError and nothing is written.
   */
  async transition(
    runId: string,
    status: RunStatus,
    event: RunEventInput,
    fields: Prisma.RunUncheckedUpdateInput = {},
    fence?: number,
  ): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.run.updateMany({
        where: { id: runId, ...(fence === undefined ? {} : { executorEpoch: fence }) },
        data: { ...fields, status },
      });
      if (count === 0) throw fence === undefined ? new Error(`no run ${runId}`) : new FencedError(runId, fence);
      await tx.runEvent.create({ data: eventData(runId, { phase: status, ...event }) });
    });
  }

  /** Runs in a phase that a worker drives (arming … recovery), for the reaper's orphan check. */
  listDriven(limit = 200): Promise<Pick<Run, 'id' | 'spec' | 'scheduledFor' | 'status' | 'armingLeadMs'>[]> {
    return this.prisma.run.findMany({
      where: { status: { in: [...ACTIVE_RUN_STATUSES] } },
      select: { id: true, spec: true, scheduledFor: true, status: true, armingLeadMs: true },
      take: limit,
    });
  }

  /**
   * A run no worker drove to its end is closed as failed, through the state machine like every
   * other status change, and only if nobody moved it meanwhile. Returns whether it was closed.
   */
  async markOrphaned(runId: string, from: RunStatus, at: Date): Promise<boolean> {
    assertTransition(from, 'failed');
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.run.updateMany({
        where: { id: runId, status: from },
        data: {
          status: 'failed',
          finishedAt: at,
          error: 'no worker drove this run to its end (worker and queue lost it); every fault was reverted',
        },
      });
      if (count === 0) return false;
      await tx.runEvent.create({
        data: eventData(runId, {
          type: 'run.orphaned',
          phase: 'failed',
          message: 'no worker drove this run to its end; marked failed by the reaper (every fault is reverted)',
        }),
      });
      return true;
    });
  }

  /** Takes the run for one executor: raises the fencing token and returns it. */
  async claimExecution(runId: string, executorId: string): Promise<number> {
    const run = await this.prisma.run.update({
      where: { id: runId },
      data: { executorEpoch: { increment: 1 }, executorId },
      select: { executorEpoch: true },
    });
    return run.executorEpoch;
  }

  /** What an executor polls while it drives a run: the emergency stop and who holds the run. */
  async controlState(
    runId: string,
  ): Promise<{ abort: { at: Date; reason: string } | null; executorEpoch: number } | null> {
    const r = await this.prisma.run.findUnique({
      where: { id: runId },
      select: { abortRequestedAt: true, abortReason: true, executorEpoch: true },
    });
    if (!r) return null;
    return {
      abort: r.abortRequestedAt ? { at: r.abortRequestedAt, reason: r.abortReason ?? 'aborted by an operator' } : null,
      executorEpoch: r.executorEpoch,
    };
  }

  appendEvent(runId: string, event: RunEventInput): Promise<RunEvent> {
    return this.prisma.runEvent.create({ data: eventData(runId, event) });
  }

  /** The first time a worker drove the run; a resumed run keeps it. */
  async markStarted(runId: string, at: Date): Promise<void> {
    await this.prisma.run.updateMany({ where: { id: runId, startedAt: null }, data: { startedAt: at } });
  }

  /** Progress after each experiment, so a resumed run knows where to go on (compare-and-set on the fence). */
  async saveProgress(
    runId: string,
    experimentIndex: number,
    result: Prisma.InputJsonValue,
    fence: number,
  ): Promise<void> {
    const { count } = await this.prisma.run.updateMany({
      where: { id: runId, executorEpoch: fence },
      data: { experimentIndex, result },
    });
    if (count === 0) throw new FencedError(runId, fence);
  }

  countForGameDay(gameDayId: string): Promise<number> {
    return this.prisma.run.count({ where: { gameDayId } });
  }

  async requestAbort(
    runId: string,
    at: Date,
    reason: string,
  ): Promise<'requested' | 'already_requested' | 'ended' | 'not_found'> {
    return this.prisma.$transaction(async (tx) => {
      const run = await tx.run.findUnique({ where: { id: runId }, select: { status: true, abortRequestedAt: true } });
      if (!run) return 'not_found' as const;
      if (ENDED_RUN_STATUSES.includes(run.status)) return 'ended' as const;
      if (run.abortRequestedAt) return 'already_requested' as const;
      await tx.run.update({ where: { id: runId }, data: { abortRequestedAt: at, abortReason: reason } });
      await tx.runEvent.create({
        data: eventData(runId, { type: 'run.abort_requested', at, message: `emergency stop requested: ${reason}` }),
      });
      return 'requested' as const;
    });
  }

  /** Runs still `scheduled` whose instant and creation are both before `before` (oldest first). */
  listStuckScheduled(before: Date, limit: number): Promise<Run[]> {
    return this.prisma.run.findMany({
      where: { status: 'scheduled', scheduledFor: { lt: before }, createdAt: { lt: before } },
      orderBy: { scheduledFor: 'asc' },
      take: limit,
    });
  }

  /** Of these runs, those whose abort was requested (the record executors and reapers honour). */
  async abortRequestedAmong(runIds: string[]): Promise<string[]> {
    if (runIds.length === 0) return [];
    const rows = await this.prisma.run.findMany({
      where: { id: { in: runIds }, abortRequestedAt: { not: null } },
      select: { id: true },
    });
    return rows.map((r) => r.id);
  }

  async requestAbortAll(at: Date, reason: string): Promise<string[]> {
    return this.prisma.$transaction(async (tx) => {
      const runs = await tx.run.findMany({
        where: { status: { notIn: [...ENDED_RUN_STATUSES] }, abortRequestedAt: null },
        select: { id: true },
      });
      const ids = runs.map((r) => r.id);
      if (ids.length === 0) return ids;
      await tx.run.updateMany({ where: { id: { in: ids } }, data: { abortRequestedAt: at, abortReason: reason } });
      await tx.runEvent.createMany({
        data: ids.map((id) =>
          eventData(id, {
            type: 'run.abort_requested',
            at,
            message: `emergency stop of every run requested: ${reason}`,
          }),
        ),
      });
      return ids;
    });
  }
}
