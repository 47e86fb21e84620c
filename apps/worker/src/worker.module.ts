import { Module, type Type } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { systemClock } from '@gameday/core';
import { APP_CONFIG, type AppConfig, ConfigModule } from '@gameday/config';
import { DbModule } from '@gameday/db';
import { MetricsModule } from '@gameday/metrics';
import { QueueModule } from '@gameday/queue';
import { WorkerHttpServer } from './http/worker-http.server';
import { PendingFaultEngineLauncher, RUN_LAUNCHER, type RunLauncher } from './launch/run-launcher';
import { FireService, WORKER_CLOCK } from './scheduling/fire.service';
import { QueueWorkers } from './scheduling/queue-workers';

@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({ pinoHttp: { level: config.LOG_LEVEL } }),
    }),
    DbModule,
    QueueModule,
    MetricsModule,
  ],
  providers: [
    // the run lifecycle replaces this line with its own RunLauncher
    { provide: RUN_LAUNCHER, useClass: PendingFaultEngineLauncher },
    { provide: WORKER_CLOCK, useValue: systemClock },
    FireService,
    QueueWorkers,
    WorkerHttpServer,
  ],
})
export class WorkerModule {
  /** `launcher` replaces the RunLauncher (tests of scheduling alone use PendingFaultEngineLauncher). */
  static withConfig(config?: AppConfig, options: { launcher?: Type<RunLauncher> } = {}) {
    return {
      module: WorkerModule,
      imports: [ConfigModule.forRoot(config)],
      providers: options.launcher ? [{ provide: RUN_LAUNCHER, useClass: options.launcher }] : [],
    };
  }
}
