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
import { RunnerHooksModule, type RunnerHooks } from './runner/runner.hooks';
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
  /**
   * `launcher` replaces the RunLauncher (tests of scheduling alone stop runs at arming); `hooks`
   * change the run lifecycle for tests (see RunnerHooks).
   */
  static withConfig(config?: AppConfig, options: { launcher?: Type<RunLauncher>; hooks?: RunnerHooks } = {}) {
    return {
      module: WorkerModule,
      imports: [ConfigModule.forRoot(config), RunnerHooksModule.with(options.hooks)],
      providers: options.launcher ? [{ provide: RUN_LAUNCHER, useClass: options.launcher }] : [],
    };
  }
}
