import { Module, type Type } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { APP_CONFIG, type AppConfig, ConfigModule } from '@gameday/config';
import { DbModule } from '@gameday/db';
import { MetricsModule } from '@gameday/metrics';
import { QueueModule } from '@gameday/queue';
import { WorkerHttpServer } from './http/worker-http.server';
import { RUN_LAUNCHER, type RunLauncher } from './launch/run-launcher';
import { SampleRetention } from './retention/sample-retention.service';
import { RunExecuteWorker } from './runner/run-execute.worker';
import { RunnerModule } from './runner/runner.module';
import { FireService } from './scheduling/fire.service';
import { QueueWorkers } from './scheduling/queue-workers';
import { Reconciler } from './scheduling/reconciler.service';

@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({ pinoHttp: { level: config.LOG_LEVEL } }),
    }),
    DbModule,
    QueueModule,
    MetricsModule,
    RunnerModule,
  ],
  providers: [
    // runs are executed by the run lifecycle (one long job per run on the execute queue)
    { provide: RUN_LAUNCHER, useExisting: RunExecuteWorker },
    FireService,
    Reconciler,
    QueueWorkers,
    WorkerHttpServer,
    SampleRetention,
  ],
})
export class WorkerModule {
  /** `launcher` replaces the RunLauncher (tests of scheduling alone stop runs at arming). */
  static withConfig(config?: AppConfig, options: { launcher?: Type<RunLauncher> } = {}) {
    return {
      module: WorkerModule,
      imports: [ConfigModule.forRoot(config)],
      providers: options.launcher ? [{ provide: RUN_LAUNCHER, useClass: options.launcher }] : [],
    };
  }
}
