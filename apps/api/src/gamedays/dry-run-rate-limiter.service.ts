import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@gameday/config';
import type { Principal } from '../auth/auth.decorators';
import { PROBLEM_TYPES, ProblemException } from '../common/problem';

const WINDOW_MS = 60_000;

/**
 * Dry runs are open to viewers and each one costs a worker Docker calls: at most
 * DRY_RUN_RATE_PER_MINUTE per token (sliding minute), 429 beyond. Counted in this API process:
 * with several API instances the bound is per instance, which is enough to stop a flood.
 */
@Injectable()
export class DryRunRateLimiter {
  private readonly recent = new Map<string, number[]>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** `now`: a monotonic reading (a sliding minute is a duration) */
  take(principal: Principal, now: number): void {
    const key = principal.tokenId ?? `bootstrap:${principal.name}`;
    const kept = (this.recent.get(key) ?? []).filter((t) => t > now - WINDOW_MS);
    if (kept.length >= this.config.DRY_RUN_RATE_PER_MINUTE) {
      const retryAfter = Math.max(1, Math.ceil((kept[0] + WINDOW_MS - now) / 1000));
      this.recent.set(key, kept);
      throw new ProblemException({
        type: PROBLEM_TYPES.rateLimited,
        title: 'Too Many Requests',
        status: 429,
        detail: `at most ${this.config.DRY_RUN_RATE_PER_MINUTE} dry runs per minute per token; retry in ${retryAfter} s`,
        retryAfterSeconds: retryAfter,
      });
    }
    kept.push(now);
    this.recent.set(key, kept);
    if (this.recent.size > 10_000) this.prune(now);
  }

  private prune(now: number): void {
    for (const [key, times] of this.recent) if (!times.some((t) => t > now - WINDOW_MS)) this.recent.delete(key);
  }
}
