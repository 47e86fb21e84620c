import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { meSchema } from '../common/response.schemas';
import { CurrentPrincipal, RequireRole, type Principal } from './auth.decorators';

@ApiTags('tokens')
@ApiBearerAuth()
@Controller('api/v1/me')
export class MeController {
  /** Who the token belongs to and its role, so a client can show only what the role may do. */
  @Get()
  @RequireRole('viewer')
  @ApiOkResponse({ standardSchema: meSchema })
  me(@CurrentPrincipal() principal: Principal) {
    return { name: principal.name, role: principal.role };
  }
}
