import { Injectable } from '@nestjs/common';
import type { ProbeSample } from './generated/prisma/client';
import { PrismaService } from './prisma.service';

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
}
