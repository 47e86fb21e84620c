import { Injectable } from '@nestjs/common';
import type { LoadAggregate as CoreLoadAggregate } from '@gameday/core';
import type { LoadAggregate, ProbeSample } from './generated/prisma/client';
import { PrismaService } from './prisma.service';

/** One second of load as the worker aggregates it (libs/core LoadAggregate), its window stored as phase. */
export type LoadAggregateInput = Omit<CoreLoadAggregate, 'window'> & { phase: string };

/**
 * The evidence of runs: probe samples (one row per request) and the load's per-second
 * aggregates. The worker's sample recorder writes both; the API reads them; retention deletes
 * them for runs that ended long ago (the run, its events and its verdict stay).
 */
@Injectable()
export class ProbeSampleRepository {
  constructor(private readonly prisma: PrismaService) {}

  async append(
    runId: string,
    experimentIndex: number,
    samples: readonly {
      probe: string;
      phase: string;
      at: number;
      durationMs: number;
      value?: number;
      status?: number;
      ok: boolean;
      errorKind?: string;
    }[],
  ): Promise<void> {
    await this.prisma.probeSample.createMany({
      data: samples.map((s) => ({
        runId,
        experimentIndex,
        probe: s.probe,
        phase: s.phase,
        at: new Date(s.at),
        durationMs: s.durationMs,
        value: s.value ?? null,
        status: s.status ?? null,
        ok: s.ok,
        errorKind: s.errorKind ?? null,
      })),
    });
  }

  /** Every sample of a run in time order (the report downsamples for its chart). */
  listForRun(runId: string, limit = 200_000): Promise<ProbeSample[]> {
    return this.prisma.probeSample.findMany({
      where: { runId },
      orderBy: [{ experimentIndex: 'asc' }, { at: 'asc' }],
      take: limit,
    });
  }

  /** Samples written after `afterId` in insertion order (a live view follows a run with this). */
  listForRunAfter(runId: string, afterId: bigint, limit = 5_000): Promise<ProbeSample[]> {
    return this.prisma.probeSample.findMany({
      where: { runId, id: { gt: afterId } },
      orderBy: { id: 'asc' },
      take: limit,
    });
  }

  /** The samples one experiment of a run has stored so far, in time order (a resumed run's evidence). */
  listForExperiment(runId: string, experimentIndex: number, limit = 200_000): Promise<ProbeSample[]> {
    return this.prisma.probeSample.findMany({
      where: { runId, experimentIndex },
      orderBy: { at: 'asc' },
      take: limit,
    });
  }

  async appendLoad(runId: string, experimentIndex: number, aggregates: readonly LoadAggregateInput[]): Promise<void> {
    await this.prisma.loadAggregate.createMany({
      data: aggregates.map((a) => ({ runId, experimentIndex, ...a, at: new Date(a.at) })),
    });
  }

  /** The load aggregates one experiment of a run has stored so far (a resumed run's evidence). */
  listLoadForExperiment(runId: string, experimentIndex: number): Promise<LoadAggregate[]> {
    return this.prisma.loadAggregate.findMany({ where: { runId, experimentIndex }, orderBy: { at: 'asc' } });
  }

  /**
   * Deletes samples and load aggregates of runs that finished before `cutoff`, at most `batch`
   * rows per statement so no single transaction holds the tables for long. Returns how many
   * rows went.
   */
  async deleteForRunsFinishedBefore(cutoff: Date, batch = 10_000): Promise<{ samples: number; load: number }> {
    const samples = await inBatches(
      batch,
      () => this.prisma.$executeRaw`
        DELETE FROM "ProbeSample" WHERE id IN (
          SELECT s.id FROM "ProbeSample" s JOIN "Run" r ON r.id = s."runId"
          WHERE r."finishedAt" < ${cutoff} LIMIT ${batch})`,
    );
    const load = await inBatches(
      batch,
      () => this.prisma.$executeRaw`
        DELETE FROM "LoadAggregate" WHERE id IN (
          SELECT a.id FROM "LoadAggregate" a JOIN "Run" r ON r.id = a."runId"
          WHERE r."finishedAt" < ${cutoff} LIMIT ${batch})`,
    );
    return { samples, load };
  }
}

/** Runs a bounded DELETE until it deletes less than a full batch; returns the rows deleted. */
async function inBatches(batch: number, deleteBatch: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await deleteBatch();
    total += n;
    if (n < batch) return total;
  }
}
