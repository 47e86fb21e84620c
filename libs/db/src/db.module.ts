import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@gameday/config';
import { ApiTokenRepository } from './api-token.repository';
import { GameDayRepository } from './gameday.repository';
import { PrismaService } from './prisma.service';
import { RunRepository } from './run.repository';

@Global()
@Module({
  providers: [
    { provide: PrismaService, inject: [APP_CONFIG], useFactory: (c: AppConfig) => new PrismaService(c.DATABASE_URL) },
    ApiTokenRepository,
    GameDayRepository,
    RunRepository,
  ],
  exports: [PrismaService, ApiTokenRepository, GameDayRepository, RunRepository],
})
export class DbModule {}
