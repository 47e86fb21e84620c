import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireRole, type Principal } from './auth.decorators';

@ApiTags('tokens')
@ApiBearerAuth()
@Controller('api/v1/me')
export class MeController {
  /** Who the token belongs to and its role, so a client can show only what the role may do. */
  @Get()
  @RequireRole('viewer')
  me(@CurrentPrincipal() principal: Principal) {
    return { name: principal.name, role: principal.role };
  }
}
