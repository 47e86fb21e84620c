import { SetMetadata, applyDecorators, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiForbiddenResponse } from '@nestjs/swagger';
import type { Role } from './token-hash';

export const ROLE_KEY = 'gameday:role';
export const PUBLIC_KEY = 'gameday:public';

/**
 * Minimum role for a handler or a controller (roles are ordered viewer < operator < admin); the
 * OpenAPI document lists the 403 a lesser role gets.
 */
export const RequireRole = (role: Role) =>
  role === 'viewer'
    ? SetMetadata(ROLE_KEY, role)
    : applyDecorators(
        SetMetadata(ROLE_KEY, role),
        ApiForbiddenResponse({
          description:
            role === 'admin' ? 'admin only: the token is not an admin' : "the token's role is below operator",
        }),
      );
/** No token needed (health, metrics, docs). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

export interface Principal {
  /** null for the bootstrap admin token from the environment */
  tokenId: string | null;
  name: string;
  role: Role;
}

export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest<{ principal: Principal }>().principal;
});
