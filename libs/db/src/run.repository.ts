import { Injectable } from '@nestjs/common';
import { Prisma, type Run, type RunEvent, type RunStatus } from './generated/prisma/client';
import { PrismaService } from './prisma.service';
import { ACTIVE_RUN_STATUSES, type Page, type RunCreate, type RunEventInput, type RunStore, type RunWithEvents } from './repository.types';

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

  async hasActiveRun(gameDayId: string): Promise<boolean> {
    return (await this.prisma.run.count({ where: { gameDayId, status: { in: [...ACTIVE_RUN_STATUSES] } } })) > 0;
  }

  async transition(runId: string, status: RunStatus, event: RunEventInput, fields: Prisma.RunUncheckedUpdateInput = {}): Promise<Run> {
    return this.prisma.$transaction(async (tx) => {
      const run = await tx.run.update({ where: { id: runId }, data: { ...fields, status } });
      await tx.runEvent.create({ data: eventData(runId, { phase: status, ...event }) });
      return run;
    });
  }

  appendEvent(runId: string, event: RunEventInput): Promise<RunEvent> {
    return this.prisma.runEvent.create({ data: eventData(runId, event) });
  }

  countForGameDay(gameDayId: string): Promise<number> {
    return this.prisma.run.count({ where: { gameDayId } });
  }
}
