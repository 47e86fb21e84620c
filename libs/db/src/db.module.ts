import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@gameday/config';
import { ApiTokenRepository } from './api-token.repository';
import { ArmingRepository } from './arming.repository';
import { GameDayRepository } from './gameday.repository';
import { PrismaService } from './prisma.service';
import { ProbeSampleRepository } from './probe-sample.repository';
import { RunNoteRepository } from './run-note.repository';
import { RunRepository } from './run.repository';
import { SafetyLeverRepository } from './safety-lever.repository';
import { PrismaLeaseRepository } from './lease.repository';
import { DatabaseHealth } from './database-health';

@Global()
@Module({
  providers: [
    {
      provide: PrismaService,
      inject: [APP_CONFIG],
      useFactory: (c: AppConfig) => new PrismaService(c.DATABASE_URL, c.DATABASE_POOL_SIZE),
    },
    ApiTokenRepository,
    ArmingRepository,
    GameDayRepository,
    RunRepository,
    RunNoteRepository,
    ProbeSampleRepository,
    SafetyLeverRepository,
    {
      provide: PrismaLeaseRepository,
      inject: [PrismaService],
      useFactory: (p: PrismaService) => new PrismaLeaseRepository(p),
    },
    DatabaseHealth,
  ],
  exports: [
    PrismaService,
    ApiTokenRepository,
    ArmingRepository,
    GameDayRepository,
    RunRepository,
    RunNoteRepository,
    ProbeSampleRepository,
    SafetyLeverRepository,
    PrismaLeaseRepository,
    DatabaseHealth,
  ],
})
export class DbModule {}
