import { type ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail, type ThrottlerModuleOptions } from '@nestjs/throttler';
import type { AppConfig } from '@gameday/config';
import type { Request, Response } from 'express';
import { hashToken } from '../auth/token-hash';
import { ProblemException } from './problem';

const bearer = (req: Request) => req.headers.authorization?.match(/^Bearer\s+(\S{1,512})\s*$/i)?.[1];

/**
 * Two budgets over one window, counted across every route: per client address (also covers
 * anonymous and bad-token floods) and per bearer token (a token shared by many addresses).
 * Counted in Redis (SharedRateLimitStorage): replicas behind one address share each budget.
 */
export function rateLimitOptions(config: AppConfig): ThrottlerModuleOptions {
  const ttl = config.RATE_LIMIT_WINDOW_SECONDS * 1000;
  return {
    throttlers: [
      { name: 'address', ttl, limit: config.RATE_LIMIT_PER_ADDRESS },
      {
        name: 'token',
        ttl,
        limit: config.RATE_LIMIT_PER_TOKEN,
        skipIf: (ctx) => bearer(ctx.switchToHttp().getRequest<Request>()) === undefined,
        getTracker: (req) => hashToken(bearer(req as Request) ?? ''),
      },
    ],
  };
}

/** 429 as application/problem+json with Retry-After (seconds), like every other error here. */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override generateKey(_context: ExecutionContext, tracker: string, name: string): string {
    return `${name}:${tracker}`;
  }

  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const retryAfter = Math.max(1, Math.ceil(detail.timeToBlockExpire));
    context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(retryAfter));
    throw new ProblemException({
      type: 'about:blank',
      title: 'Too Many Requests',
      status: 429,
      detail: `more than ${detail.limit} requests in ${Math.round(detail.ttl / 1000)} s from this client; retry after ${retryAfter} s`,
    });
  }
}
