import { Injectable } from '@nestjs/common';
import type { GameDay, Prisma, RunStatus } from './generated/prisma/client';
import { PrismaService } from './prisma.service';
import {
  ACTIVE_RUN_STATUSES,
  ACTIVE_SCHEDULE_FIELDS,
  type ActiveSchedule,
  type GameDayCreate,
  type GameDayFilter,
  type GameDayStore,
  type GameDayUpdate,
  type Page,
} from './repository.types';

@Injectable()
export class GameDayRepository implements GameDayStore {
  constructor(private readonly prisma: PrismaService) {}

  create(data: GameDayCreate): Promise<GameDay> {
    return this.prisma.gameDay.create({ data });
  }

  findById(id: string): Promise<GameDay | null> {
    return this.prisma.gameDay.findUnique({ where: { id } });
  }

  async findManyById(ids: readonly string[]): Promise<Map<string, GameDay>> {
    const rows = await this.prisma.gameDay.findMany({ where: { id: { in: [...ids] } } });
    return new Map(rows.map((g) => [g.id, g]));
  }

  /**
   * Newest first, by keyset: the cursor (the last id of the page before) is resolved to its
   * (createdAt, id) and the page starts strictly after it, so page n costs what page 1 costs
   * (an index range, never an offset). No count: the client follows nextCursor until null.
   */
  async list(filter: GameDayFilter, limit: number, cursor?: string): Promise<Page<GameDay>> {
    const after = cursor
      ? await this.prisma.gameDay.findUnique({ where: { id: cursor }, select: { createdAt: true } })
      : null;
    if (cursor && !after) return { items: [], nextCursor: null };
    const where: Prisma.GameDayWhereInput = {
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.environment ? { environment: filter.environment } : {}),
      ...(filter.scheduleKind ? { scheduleKind: filter.scheduleKind } : {}),
      ...(filter.mode ? { mode: filter.mode } : {}),
      ...(filter.q ? { name: { contains: filter.q, mode: 'insensitive' as const } } : {}),
      // (createdAt, id) < (c, cursor), written so the index range is bounded by createdAt <= c
      ...(after && cursor
        ? { createdAt: { lte: after.createdAt }, NOT: { createdAt: after.createdAt, id: { gte: cursor } } }
        : {}),
    };
    const rows = await this.prisma.gameDay.findMany({
      where,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].id : null };
  }

  async updateUnlessRunning(
    id: string,
    data: GameDayUpdate,
    busy: readonly RunStatus[] = ACTIVE_RUN_STATUSES,
  ): Promise<GameDay | 'active_run' | 'not_found'> {
    return this.prisma.$transaction(async (tx) => {
      // the row lock serialises this edit against a worker creating a run of the same GameDay
      const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "GameDay" WHERE id = ${id}::uuid FOR UPDATE`;
      if (locked.length === 0) return 'not_found' as const;
      const active = await tx.run.count({ where: { gameDayId: id, status: { in: [...busy] } } });
      if (active > 0) return 'active_run' as const;
      return tx.gameDay.update({ where: { id }, data: { ...data, version: { increment: 1 } } });
    });
  }

  async forceUpdate(id: string, data: GameDayUpdate): Promise<GameDay | null> {
    const { count } = await this.prisma.gameDay.updateMany({
      where: { id },
      data: { ...data, version: { increment: 1 } },
    });
    return count === 0 ? null : this.findById(id);
  }

  async deleteUnused(id: string): Promise<void> {
    await this.prisma.gameDay.deleteMany({ where: { id, runs: { none: {} } } });
  }

  async setNextRunAt(id: string, nextRunAt: Date | null): Promise<void> {
    await this.prisma.gameDay.update({ where: { id }, data: { nextRunAt } });
  }

  async recordFiring(id: string, nextRunAt: Date | null, finished: boolean): Promise<void> {
    // only an active GameDay moves on: a cancel that raced the firing wins
    await this.prisma.gameDay.updateMany({
      where: { id, status: 'active' },
      data: { nextRunAt, ...(finished ? { status: 'finished' as const } : {}) },
    });
  }

  count(): Promise<number> {
    return this.prisma.gameDay.count();
  }

  async reveal(id: string, at: Date, by: string): Promise<GameDay | null> {
    return this.prisma.$transaction(async (tx) => {
      // no version bump: the spec did not change, and a pending job must not look superseded
      const { count } = await tx.gameDay.updateMany({ where: { id, revealedAt: null }, data: { revealedAt: at } });
      if (count > 0) {
        // the moment of the reveal belongs on the timeline of a run in progress
        const active = await tx.run.findMany({
          where: { gameDayId: id, status: { in: [...ACTIVE_RUN_STATUSES] } },
          select: { id: true },
        });
        if (active.length > 0) {
          await tx.runEvent.createMany({
            data: active.map((r) => ({
              runId: r.id,
              type: 'gameday.revealed',
              at,
              message: `the fault was revealed to participants by ${by}`,
            })),
          });
        }
      }
      return tx.gameDay.findUnique({ where: { id } });
    });
  }

  listActiveSchedules(limit: number, afterId?: string): Promise<ActiveSchedule[]> {
    return this.prisma.gameDay.findMany({
      where: { status: 'active', ...(afterId ? { id: { gt: afterId } } : {}) },
      select: ACTIVE_SCHEDULE_FIELDS,
      orderBy: { id: 'asc' },
      take: limit,
    });
  }

  async activeAmong(ids: readonly string[]): Promise<Set<string>> {
    const rows = await this.prisma.gameDay.findMany({
      where: { id: { in: [...ids] }, status: 'active' },
      select: { id: true },
    });
    return new Set(rows.map((r) => r.id));
  }
}
