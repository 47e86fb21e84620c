import { RUN_PHASES, RUN_TERMINAL } from '@gameday/core';
import type {
  ApiToken,
  GameDay,
  Prisma,
  Role,
  Run,
  RunEvent,
  RunNote,
  RunStatus,
  RunTrigger,
} from './generated/prisma/client';

/**
 * Small persistence interfaces the API and worker logic depend on; Prisma implementations sit
 * beside them. Tests of logic can substitute in-memory versions.
 */

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface ApiTokenStore {
  create(data: {
    name: string;
    role: Role;
    tokenHash: string;
    prefix: string;
    createdById?: string | null;
  }): Promise<ApiToken>;
  findActiveByHash(tokenHash: string, now: Date): Promise<ApiToken | null>;
  isActive(id: string, now: Date): Promise<boolean>;
  list(): Promise<ApiToken[]>;
  /** false when no such (unrevoked) token */
  revoke(id: string, at: Date): Promise<boolean>;
  touch(id: string, at: Date): Promise<void>;
}

export interface GameDayFilter {
  status?: GameDay['status'];
  environment?: string;
  scheduleKind?: GameDay['scheduleKind'];
  mode?: GameDay['mode'];
  /** case-insensitive substring of the name */
  q?: string;
}

export type GameDayCreate = Omit<Prisma.GameDayUncheckedCreateInput, 'id' | 'createdAt' | 'updatedAt' | 'runs'>;
export type GameDayUpdate = Omit<
  Prisma.GameDayUncheckedUpdateInput,
  'id' | 'createdAt' | 'updatedAt' | 'runs' | 'version'
>;

export interface GameDayStore {
  create(data: GameDayCreate): Promise<GameDay>;
  findById(id: string): Promise<GameDay | null>;
  /** the GameDays of those ids that exist, by id (one query) */
  findManyById(ids: readonly string[]): Promise<Map<string, GameDay>>;
  list(filter: GameDayFilter, limit: number, cursor?: string): Promise<Page<GameDay>>;
  /**
   * Applies the update and bumps the version unless a run of the GameDay is active;
   * 'active_run' / 'not_found' otherwise. Atomic with respect to run creation.
   */
  updateUnlessRunning(
    id: string,
    data: GameDayUpdate,
    busy?: readonly RunStatus[],
  ): Promise<GameDay | 'active_run' | 'not_found'>;
  /** update regardless of runs (cancel, worker bookkeeping); null when not found */
  forceUpdate(id: string, data: GameDayUpdate): Promise<GameDay | null>;
  /** deletes a GameDay that has no runs (undo of a create the queue refused) */
  deleteUnused(id: string): Promise<void>;
  setNextRunAt(id: string, nextRunAt: Date | null): Promise<void>;
  /** bookkeeping after an occurrence fired (no version bump: the spec did not change) */
  recordFiring(id: string, nextRunAt: Date | null, finished: boolean): Promise<void>;
  count(): Promise<number>;
  /**
   * Blind mode: from now on viewers see the fault details; runs in progress get a
   * `gameday.revealed` event. Idempotent (the first reveal stays); null when there is no such GameDay.
   */
  reveal(id: string, at: Date, by: string): Promise<GameDay | null>;
  /**
   * A page of the active GameDays' schedules (id order, after `afterId`), for the worker's
   * reconciliation with the queue: the schedule's fields only, never the spec.
   */
  listActiveSchedules(limit: number, afterId?: string): Promise<ActiveSchedule[]>;
  /** Which of these GameDays are active (ids only). */
  activeAmong(ids: readonly string[]): Promise<Set<string>>;
}

/** What the queue needs to know of an active GameDay's schedule: the columns read, and their row. */
export const ACTIVE_SCHEDULE_FIELDS = {
  id: true,
  version: true,
  status: true,
  scheduleKind: true,
  runAt: true,
  cron: true,
  cronTimezone: true,
  startsAt: true,
  endsAt: true,
} as const satisfies Prisma.GameDaySelect;
export type ActiveSchedule = Prisma.GameDayGetPayload<{ select: typeof ACTIVE_SCHEDULE_FIELDS }>;

export interface RunCreate {
  gameDayId: string;
  scheduledFor: Date;
  trigger: RunTrigger;
  status: RunStatus;
  spec: Prisma.InputJsonValue;
  gameDayVersion: number;
  error?: string | null;
  finishedAt?: Date | null;
}

export interface RunEventInput {
  type: string;
  message: string;
  phase?: RunStatus | null;
  experimentIndex?: number | null;
  plannedAt?: Date | null;
  at?: Date;
  data?: Prisma.InputJsonValue;
}

export type RunWithEvents = Run & { events: RunEvent[] };

/** An occurrence that runs (RunStore.createFired): its run's fields, first event and bookkeeping. */
export interface FiredRun {
  run: { gameDayId: string; scheduledFor: Date; trigger: RunTrigger; gameDayVersion: number };
  event: RunEventInput;
  nextRunAt: Date | null;
  finished: boolean;
}

export interface RunStore {
  /**
   * Creates the run of one occurrence with its first event, or returns null when that
   * occurrence already has a run (unique gameDayId + scheduledFor): the race between two
   * workers is settled by Postgres, not by locks.
   */
  createForOccurrence(data: RunCreate, firstEvent: RunEventInput): Promise<Run | null>;
  /**
   * As createForOccurrence, holding the GameDay's row lock (the one edits take): 'superseded' when
   * the GameDay is no longer active or no longer at data.gameDayVersion, so a run always carries
   * the spec of the version it records, and an edit or cancel is ordered before or after it.
   */
  createForFiring(
    data: RunCreate,
    firstEvent: RunEventInput,
  ): Promise<Run | null | 'superseded' | { liveRunId: string; liveStatus: RunStatus }>;
  /** a skipped occurrence with its cause: folded into the latest run when that is the same streak */
  createForFiring(
    data: RunCreate,
    firstEvent: RunEventInput,
    skipStreak: string,
  ): Promise<
    Run | null | 'superseded' | { liveRunId: string; liveStatus: RunStatus } | { folded: Run; occurrences: number }
  >;
  /**
   * Occurrences that run, fired together: each created as createForFiring would (under its
   * GameDay's row lock, at its version, no other run of the GameDay live, not fired before) with
   * its first event and its GameDay's bookkeeping (recordFiring), in one transaction. One entry
   * per item, in order: the run, or null where it was not created (the caller fires that one alone
   * to learn why). The items' GameDays must differ.
   */
  createFired(items: readonly FiredRun[]): Promise<(Run | null)[]>;
  findById(id: string): Promise<RunWithEvents | null>;
  listForGameDay(gameDayId: string, limit: number, cursor?: string): Promise<Page<Run>>;
  /** the latest `limit` runs that finished (skipped occurrences left out), newest first */
  listFinished(gameDayId: string, limit: number): Promise<Run[]>;
  hasActiveRun(gameDayId: string): Promise<boolean>;
  /** moves a run to a status and records why, in one transaction; compare-and-set with a fence */
  transition(
    runId: string,
    status: RunStatus,
    event: RunEventInput,
    fields?: Prisma.RunUncheckedUpdateInput,
    fence?: number,
  ): Promise<void>;
  appendEvent(runId: string, event: RunEventInput): Promise<RunEvent>;
  countForGameDay(gameDayId: string): Promise<number>;
  /**
   * Records an operator's emergency stop on a run that has not ended (the run lifecycle polls
   * for it; the fault queue reverts independently). Idempotent: the first request's time stays.
   */
  requestAbort(
    runId: string,
    at: Date,
    reason: string,
  ): Promise<'requested' | 'already_requested' | 'ended' | 'not_found'>;
  /** the same for every run that has not ended; returns their ids */
  requestAbortAll(at: Date, reason: string): Promise<string[]>;
}

/** Statuses after which nothing more happens to a run. */
export const ENDED_RUN_STATUSES: readonly RunStatus[] = RUN_TERMINAL;

/** Statuses in which a run holds (or is about to hold) a fault: edits must wait. */
export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = RUN_PHASES.filter((p) => p !== 'scheduled');

/** A run that fired and has not ended: deleting its GameDay must wait (409). */
export const LIVE_RUN_STATUSES: readonly RunStatus[] = ['scheduled', ...ACTIVE_RUN_STATUSES];

export type RunNoteKind = 'note' | 'action_item';

export interface RunNoteCreate {
  runId: string;
  kind: RunNoteKind;
  text: string;
  owner?: string | null;
  author?: string | null;
}

export interface RunNoteUpdate {
  text?: string;
  owner?: string | null;
  /** true keeps the first time it was ticked off; false clears it */
  done?: boolean;
}

/** Notes and action items written on a run during or after the GameDay. */
export interface RunNoteStore {
  create(data: RunNoteCreate): Promise<RunNote>;
  /** null when the note does not exist under that run */
  update(runId: string, noteId: string, data: RunNoteUpdate, at: Date): Promise<RunNote | null>;
  listForRun(runId: string): Promise<RunNote[]>;
}
