import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Role } from './token-hash';

export const ROLE_KEY = 'gameday:role';
export const PUBLIC_KEY = 'gameday:public';

/** Minimum role for a handler (roles are ordered viewer < operator < admin). */
export const RequireRole = (role: Role) => SetMetadata(ROLE_KEY, role);
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
