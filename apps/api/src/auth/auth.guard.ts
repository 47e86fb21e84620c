import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  Logger,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { APP_CONFIG, CLOCK, type AppConfig } from '@gameday/config';
import type { Clock } from '@gameday/core';
import { ApiTokenRepository } from '@gameday/db';
import type { Request, Response } from 'express';
import { PUBLIC_KEY, ROLE_KEY, type Principal } from './auth.decorators';
import { ROLE_RANK, hashToken, sameHash, type Role } from './token-hash';

/**
 * Bearer-token authentication and role check for every route (registered as APP_GUARD).
 * Routes are closed by default: a handler without @RequireRole needs admin, @Public opens it.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly logger = new Logger(AuthGuard.name);
  private readonly bootstrapHash: string | null;

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: ApiTokenRepository,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.bootstrapHash = config.GAMEDAY_ADMIN_TOKEN ? hashToken(config.GAMEDAY_ADMIN_TOKEN) : null;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const required = this.reflector.getAllAndOverride<Role>(ROLE_KEY, targets) ?? 'admin';
    const req = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const principal = await this.authenticate(req.headers.authorization);
    if (!principal) {
      context.switchToHttp().getResponse<Response>().setHeader('WWW-Authenticate', 'Bearer realm="gameday"');
      throw new UnauthorizedException('a valid bearer token is required (Authorization: Bearer <token>)');
    }
    req.principal = principal;
    if (ROLE_RANK[principal.role] < ROLE_RANK[required]) {
      throw new ForbiddenException(
        `this action needs the ${required} role; the token "${principal.name}" has ${principal.role}`,
      );
    }
    return true;
  }

  private async authenticate(header: string | undefined): Promise<Principal | null> {
    const match = header?.match(/^Bearer\s+(\S{1,512})\s*$/i);
    if (!match) return null;
    const hash = hashToken(match[1]);
    if (this.bootstrapHash && sameHash(hash, this.bootstrapHash))
      return { tokenId: null, name: 'bootstrap-admin', role: 'admin' };
    const now = this.clock.now();
    const token = await this.tokens.findActiveByHash(hash, now);
    if (!token) return null;
    // best effort: a failed "last used" write must not fail the request
    this.tokens.touch(token.id, now).catch((e: Error) => this.logger.warn(`could not record token use: ${e.message}`));
    return { tokenId: token.id, name: token.name, role: token.role };
  }
}
