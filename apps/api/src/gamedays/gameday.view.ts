import { findBlackout, nextOccurrences, runDurationMs, type GameDaySpec } from '@gameday/core';
import type { GameDay } from '@gameday/db';
import type { Principal } from '../auth/auth.decorators';
import { redactSpec } from '../common/visibility';
import { UpcomingCache } from './upcoming-occurrences.cache';

/** How many next occurrences a GameDay view lists (a calendar for people, not for the scheduler). */
const UPCOMING = 5;

type Upcoming = { at: Date; skippedBy: string | null };
// keyed by id and version: every edit of the spec bumps the version
const cache = new UpcomingCache<Upcoming>();

/** The next occurrences of an active GameDay, each with the blackout that will skip it, if any. */
export function upcomingOccurrences(g: Pick<GameDay, 'id' | 'version' | 'status' | 'spec'>, now: number): Upcoming[] {
  if (g.status !== 'active') return [];
  return cache.get(`${g.id}:${g.version}`, now, (from) => computeUpcoming(g.spec as unknown as GameDaySpec, from));
}

function computeUpcoming(spec: GameDaySpec, now: number): Upcoming[] {
  try {
    const length = runDurationMs(spec);
    return nextOccurrences(spec.schedule, now, UPCOMING).map((at) => ({
      at: new Date(at),
      skippedBy: findBlackout(spec.blackouts, { start: at, end: at + length })?.reason ?? null,
    }));
  } catch {
    return [];
  }
}

export function gameDayView(g: GameDay, principal: Principal, now: Date) {
  return {
    id: g.id,
    name: g.name,
    status: g.status,
    mode: g.mode,
    environment: g.environment,
    champion: g.champion,
    version: g.version,
    nextRunAt: g.nextRunAt,
    createdAt: g.createdAt,
    updatedAt: g.updatedAt,
    cancelledAt: g.cancelledAt,
    revealedAt: g.revealedAt,
    upcoming: upcomingOccurrences(g, now.getTime()),
    spec: redactSpec(g.spec as unknown as GameDaySpec, g.mode, g.revealedAt, principal),
  };
}
