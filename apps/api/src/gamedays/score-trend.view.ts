import { RESILIENCE_SCORE_VERSION } from '@gameday/core';
import type { Run } from '@gameday/db';
import type { Principal } from '../auth/auth.decorators';
import { runScore } from '../common/run.view';

/** A GameDay's resilience scores over its latest finished runs (given newest first), oldest first. */
export function scoreTrendView(gameDayId: string, newestFirst: Run[], principal: Principal) {
  const items = [...newestFirst].reverse().map((r) => {
    const s = runScore(r, principal);
    return {
      runId: r.id,
      scheduledFor: r.scheduledFor,
      // listFinished returns finished runs only
      finishedAt: r.finishedAt ?? r.updatedAt,
      status: r.status,
      verdict: r.verdict,
      score: s.score,
      unscoredReason: s.unscoredReason,
      deductions: s.deductions.map((d) => ({ code: d.code, points: d.points })),
    };
  });
  const scored = items.map((i) => i.score).filter((s): s is number => s !== null);
  return {
    gameDayId,
    items,
    latest: scored.at(-1) ?? null,
    mean: scored.length ? Math.round((scored.reduce((a, b) => a + b, 0) / scored.length) * 10) / 10 : null,
    version: RESILIENCE_SCORE_VERSION,
  };
}
