import { ARMING_EVENTS } from '@gameday/core';
import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service';

/**
 * What the learned arming lead reads and writes: an engine's recent arming durations (from the
 * runs' own `arming.done` events, no table of their own) and the lead a run settled on.
 */
@Injectable()
export class ArmingRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * The engine's most recent arming durations per fault armed (ms), newest first: an arming of
   * several faults (steps) counts as that many (one recorded before faults were counted, as one).
   */
  async recentArmingMsPerFault(engine: string, limit: number): Promise<number[]> {
    const rows = await this.prisma.runEvent.findMany({
      where: { type: ARMING_EVENTS.done, data: { path: ['engine'], equals: engine } },
      orderBy: { id: 'desc' },
      take: limit,
      select: { data: true },
    });
    return rows.flatMap((r) => {
      const { armingMs, faults } = (r.data ?? {}) as { armingMs?: unknown; faults?: unknown };
      if (typeof armingMs !== 'number') return [];
      return [armingMs / (typeof faults === 'number' && faults >= 1 ? faults : 1)];
    });
  }

  /**
   * Settles the run's arming lead once: the first executor to get here writes it, every later one
   * (a resumed run, a racing executor) reads the value already there. Returns the run's lead.
   */
  async settleLead(runId: string, leadMs: number): Promise<number> {
    await this.prisma.run.updateMany({ where: { id: runId, armingLeadMs: null }, data: { armingLeadMs: leadMs } });
    const run = await this.prisma.run.findUniqueOrThrow({ where: { id: runId }, select: { armingLeadMs: true } });
    return run.armingLeadMs ?? leadMs;
  }
}
