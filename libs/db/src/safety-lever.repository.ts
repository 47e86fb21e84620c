import { Injectable } from '@nestjs/common';
import type { SafetyLever } from './generated/prisma/client';
import { PrismaService } from './prisma.service';

const ID = 'global';

export interface SafetyLeverState {
  engaged: boolean;
  reason: string | null;
  engagedAt: Date | null;
  engagedBy: string | null;
  releasedAt: Date | null;
  releasedBy: string | null;
}

const RELEASED: SafetyLeverState = {
  engaged: false,
  reason: null,
  engagedAt: null,
  engagedBy: null,
  releasedAt: null,
  releasedBy: null,
};

function stateOf(row: SafetyLever | null): SafetyLeverState {
  if (!row) return RELEASED;
  const { engaged, reason, engagedAt, engagedBy, releasedAt, releasedBy } = row;
  return { engaged, reason, engagedAt, engagedBy, releasedAt, releasedBy };
}

/** The one safety lever row (absent = never engaged = released). */
@Injectable()
export class SafetyLeverRepository {
  constructor(private readonly prisma: PrismaService) {}

  async get(): Promise<SafetyLeverState> {
    return stateOf(await this.prisma.safetyLever.findUnique({ where: { id: ID } }));
  }

  /** Engages the lever; engaging it again keeps the first instant and reason. */
  async engage(reason: string, by: string, at: Date): Promise<{ state: SafetyLeverState; changed: boolean }> {
    return this.prisma.$transaction(async (tx) => {
      const current = await tx.safetyLever.findUnique({ where: { id: ID } });
      if (current?.engaged) return { state: stateOf(current), changed: false };
      const row = await tx.safetyLever.upsert({
        where: { id: ID },
        create: { id: ID, engaged: true, reason, engagedAt: at, engagedBy: by },
        update: { engaged: true, reason, engagedAt: at, engagedBy: by, releasedAt: null, releasedBy: null },
      });
      return { state: stateOf(row), changed: true };
    });
  }

  async release(by: string, at: Date): Promise<SafetyLeverState> {
    const { count } = await this.prisma.safetyLever.updateMany({
      where: { id: ID, engaged: true },
      data: { engaged: false, releasedAt: at, releasedBy: by },
    });
    return count === 0 ? this.get() : stateOf(await this.prisma.safetyLever.findUnique({ where: { id: ID } }));
  }
}
