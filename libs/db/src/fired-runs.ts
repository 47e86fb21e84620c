import type { PrismaClient, Run } from './generated/prisma/client';
import { ENDED_RUN_STATUSES, type FiredRun } from './repository.types';

type Tx = Pick<PrismaClient, '$queryRaw'>;

/**
 * RunStore.createFired: the runs of occurrences fired together, in two statements. First the
 * GameDays' row locks (the ones edits take), in id order, skipping a row held elsewhere; then, seeing what committed before the locks were granted, one statement creates each run whose
 * GameDay is still active at the version judged and has no live run (an occurrence fired before is
 * left alone by the unique key), its first event, and its GameDay's bookkeeping. A firing costs a
 * share of four round trips instead of nine.
 */
export async function insertFiredRuns(
  prisma: { $transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> },
  items: readonly FiredRun[],
): Promise<(Run | null)[]> {
  const all = items.map((i) => i.run.gameDayId);
  if (new Set(all).size !== all.length) throw new Error('createFired: one occurrence per GameDay in a batch');
  const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
  const rows = await prisma.$transaction(async (tx) => {
    // a row another session holds (an edit) is skipped, not waited for: its occurrence fires
    // alone and waits there, the rest of the batch does not
    const locked = await tx.$queryRaw<{ id: string }[]>`
      SELECT id::text AS id FROM "GameDay" WHERE id = ANY(${all}::uuid[]) ORDER BY id FOR UPDATE SKIP LOCKED`;
    const held = new Set(locked.map((r) => r.id));
    const mine = items.filter((i) => held.has(i.run.gameDayId));
    if (mine.length === 0) return [];
    const ids = mine.map((i) => i.run.gameDayId);
    return tx.$queryRaw<Run[]>`
      WITH input AS (
        SELECT * FROM unnest(
          ${ids}::uuid[],
          ${mine.map((i) => i.run.gameDayVersion)}::int[],
          ${mine.map((i) => iso(i.run.scheduledFor))}::timestamptz[],
          ${mine.map((i) => i.run.trigger)}::text[],
          ${mine.map((i) => i.event.type)}::text[],
          ${mine.map((i) => i.event.phase ?? null)}::text[],
          ${mine.map((i) => iso(i.event.plannedAt))}::timestamptz[],
          ${mine.map((i) => i.event.message)}::text[],
          ${mine.map((i) => (i.event.data === undefined ? null : JSON.stringify(i.event.data)))}::jsonb[],
          ${mine.map((i) => iso(i.nextRunAt))}::timestamptz[],
          ${mine.map((i) => i.finished)}::boolean[]
        ) AS i(game_day_id, version, scheduled_for, trigger, event_type, event_phase, planned_at, message,
               data, next_run_at, finished)
      ),
      eligible AS (
        SELECT i.*, g.spec FROM input i JOIN "GameDay" g ON g.id = i.game_day_id
        WHERE g.status = 'active' AND g.version = i.version
          AND NOT EXISTS (
            SELECT 1 FROM "Run" r
            WHERE r."gameDayId" = i.game_day_id AND r.status::text <> ALL(${[...ENDED_RUN_STATUSES]}::text[])
          )
      ),
      runs AS (
        INSERT INTO "Run" (id, "gameDayId", "scheduledFor", trigger, status, spec, "gameDayVersion", "createdAt", "updatedAt")
        SELECT gen_random_uuid(), game_day_id, scheduled_for, trigger::"RunTrigger", 'scheduled', spec, version,
               clock_timestamp(), clock_timestamp()
        FROM eligible
        ON CONFLICT ("gameDayId", "scheduledFor") DO NOTHING
        RETURNING *
      ),
      events AS (
        INSERT INTO "RunEvent" ("runId", type, phase, "plannedAt", at, message, data)
        SELECT r.id, e.event_type, e.event_phase::"RunStatus", e.planned_at, r."createdAt", e.message, e.data
        FROM runs r JOIN eligible e ON e.game_day_id = r."gameDayId"
      ),
      kept AS (
        UPDATE "GameDay" g
        SET "nextRunAt" = e.next_run_at,
            status = CASE WHEN e.finished THEN 'finished'::"GameDayStatus" ELSE g.status END,
            "updatedAt" = clock_timestamp()
        FROM runs r JOIN eligible e ON e.game_day_id = r."gameDayId"
        WHERE g.id = r."gameDayId"
      )
      SELECT * FROM runs`;
  });
  const byGameDay = new Map(rows.map((r) => [r.gameDayId, r]));
  return all.map((id) => byGameDay.get(id) ?? null);
}
