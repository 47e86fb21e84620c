import { foldSkip, readSkipStreak, skipStreakRecord, skipStreakSummary } from '@gameday/core';
import type { Prisma, Run } from './generated/prisma/client';
import type { RunCreate, RunEventInput } from './repository.types';

/** A skipped occurrence recorded as one more of its streak's row (core's foldSkip). */
export interface SkipFolded {
  folded: Run;
  occurrences: number;
}

/**
 * Within createForFiring's transaction (the GameDay's row lock held, so firings of one GameDay
 * take turns): folds a skipped occurrence into the GameDay's latest run when that is a skipped
 * run of the same streak. 'duplicate' when the occurrence is already counted there; null when it
 * needs a row of its own.
 */
export async function foldIntoSkipStreak(
  tx: Prisma.TransactionClient,
  data: RunCreate,
  key: string,
): Promise<SkipFolded | 'duplicate' | null> {
  const latest = await tx.run.findFirst({
    where: { gameDayId: data.gameDayId },
    orderBy: [{ scheduledFor: 'desc' }, { id: 'desc' }],
  });
  if (latest?.status !== 'skipped') return null;
  const first = await tx.runEvent.findFirst({
    where: { runId: latest.id, type: 'occurrence.skipped' },
    orderBy: { id: 'asc' },
  });
  const streak = first && readSkipStreak(latest, first.data);
  const at = data.scheduledFor.getTime();
  const decision = foldSkip(streak ?? null, { key, gameDayVersion: data.gameDayVersion, at });
  if (decision !== 'fold' || !first || !streak) return decision === 'duplicate' ? 'duplicate' : null;
  const next = { ...streak, last: at, occurrences: streak.occurrences + 1 };
  await tx.runEvent.update({
    where: { id: first.id },
    data: { data: { ...(first.data as Prisma.JsonObject), streak: { ...skipStreakRecord(next) } } },
  });
  const folded = await tx.run.update({
    where: { id: latest.id },
    data: { error: skipStreakSummary(first.message, next), finishedAt: data.finishedAt ?? undefined },
  });
  return { folded, occurrences: next.occurrences };
}

/** The first event of a skipped run that starts a streak: its data says so. */
export function withSkipStreak(event: RunEventInput, data: RunCreate, key: string): RunEventInput {
  const record = skipStreakRecord({ key, last: data.scheduledFor.getTime(), occurrences: 1 });
  return { ...event, data: { ...((event.data ?? {}) as Prisma.JsonObject), streak: { ...record } } };
}
