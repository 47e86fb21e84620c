import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { LoggerModule } from 'nestjs-pino';
import { APP_CONFIG, type AppConfig, ConfigModule } from '@gameday/config';
import { DbModule } from '@gameday/db';
import { MetricsModule } from '@gameday/metrics';
import { EgressGuard } from '@gameday/probes';
import { QueueModule } from '@gameday/queue';
import { AuthGuard } from './auth/auth.guard';
import { MeController } from './auth/me.controller';
import { TokensController } from './auth/tokens.controller';
import { HttpMetricsInterceptor } from './common/http-metrics.interceptor';
import { ProblemFilter } from './common/problem.filter';
import { RateLimitGuard, rateLimitOptions } from './common/rate-limit.guard';
import { RateLimitStorageModule, SharedRateLimitStorage } from './common/rate-limit.storage';
import { DryRunRateLimiter } from './gamedays/dry-run-rate-limiter.service';
import { DEFAULT_DRY_RUN_TIMEOUT_MS, DRY_RUN_TIMEOUT_MS, DryRunService } from './gamedays/dry-run.service';
import { GameDaysController } from './gamedays/gamedays.controller';
import { GameDaysService } from './gamedays/gamedays.service';
import { HealthController } from './health/health.controller';
import { AbortRequests } from './runs/abort-requests.service';
import { EmergencyStopController } from './runs/emergency-stop.controller';
import { RunReportService } from './runs/run-report.service';
import { RunStreamController } from './runs/run-stream.controller';
import { RunStreamService } from './runs/run-stream.service';
import { RunsController } from './runs/runs.controller';
import { SafetyLeverController } from './safety/safety-lever.controller';
import { TemplatesController } from './templates/templates.controller';
import { SafetyLeverService } from './safety/safety-lever.service';

export interface ApiOptions {
  /** how long POST /gamedays/:id/dry-run waits for a worker's answer */
  dryRunTimeoutMs?: number;
}

@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        pinoHttp: {
          level: config.LOG_LEVEL,
          redact: ['req.headers.authorization', 'req.headers.cookie'],
          autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' },
        },
      }),
    }),
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStorageModule],
      inject: [APP_CONFIG, SharedRateLimitStorage],
      useFactory: (config: AppConfig, storage: SharedRateLimitStorage) => ({ ...rateLimitOptions(config), storage }),
    }),
    DbModule,
    QueueModule,
    MetricsModule,
  ],
  controllers: [
    GameDaysController,
    RunsController,
    RunStreamController,
    EmergencyStopController,
    SafetyLeverController,
    TokensController,
    MeController,
    TemplatesController,
    HealthController,
  ],
  providers: [
    GameDaysService,
    RunReportService,
    RunStreamService,
    DryRunService,
    // the API resolves and checks probe, load and webhook URLs at create/edit (it sends nothing)
    { provide: EgressGuard, inject: [APP_CONFIG], useFactory: (c: AppConfig) => EgressGuard.fromConfig(c) },
    // before authentication: a flood of bad tokens is throttled too
    { provide: APP_GUARD, useClass: RateLimitGuard },
    DryRunRateLimiter,
    AbortRequests,
    SafetyLeverService,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_FILTER, useClass: ProblemFilter },
    { provide: APP_INTERCEPTOR, useClass: HttpMetricsInterceptor },
  ],
})
export class AppModule {
  /** The root module with its configuration; tests pass their own (and a short dry-run timeout). */
  static withConfig(config?: AppConfig, options: ApiOptions = {}) {
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot(config)],
      providers: [{ provide: DRY_RUN_TIMEOUT_MS, useValue: options.dryRunTimeoutMs ?? DEFAULT_DRY_RUN_TIMEOUT_MS }],
    };
  }
}
