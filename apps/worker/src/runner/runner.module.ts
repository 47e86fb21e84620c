import { Module } from '@nestjs/common';
import type { FaultDriver } from '@gameday/core';
import { APP_CONFIG, type AppConfig } from '@gameday/config';
import { PrismaLeaseRepository } from '@gameday/db';
import { DockerFaultDriver, dockerClient } from '@gameday/faults';
import { METRICS, type GameDayMetrics } from '@gameday/metrics';
import { EgressGuard } from '@gameday/probes';
import { ArmingPlanner } from './arming-planner';
import { ControlQueues } from './control-queues.service';
import { DryRunProcessor } from './dry-run.processor';
import { refuseExecStrategy } from './exec-policy';
import { FaultJobs } from './fault-jobs.service';
import { LeaseReaper } from './lease-reaper.service';
import { RunExecuteWorker } from './run-execute.worker';
import { RunExecutor } from './run-executor.service';
import { RUNNER_HOOKS, type RunnerHooks } from './runner.hooks';
import { FAULT_DRIVER, LEASE_REPOSITORY } from './runner.tokens';
import { SafetyLeverGuard } from './safety-lever.guard';
import { UnrecordedReverts } from './unrecorded-reverts';
import { WebhookNotifier } from './webhook-notifier';

const dockerClientOf = (config: AppConfig) =>
  dockerClient({
    host: config.DOCKER_HOST,
    tlsVerify: config.DOCKER_TLS_VERIFY,
    certPath: config.DOCKER_CERT_PATH,
  });

/**
 * The run lifecycle: executor, fault queue (delayed reverts, emergency stop), reaper. The Docker
 * Engine is reached through DOCKER_HOST (unix, tcp, tls or ssh) or the local socket;
 * the worker is the only process that holds it.
 */
@Module({
  providers: [
    { provide: LEASE_REPOSITORY, useExisting: PrismaLeaseRepository },
    {
      provide: FAULT_DRIVER,
      inject: [METRICS, APP_CONFIG, { token: RUNNER_HOOKS, optional: true }],
      // identified by the engine's daemon ID: the worker acts only on leases of the engine it holds
      useFactory: async (metrics: GameDayMetrics, config: AppConfig, hooks?: RunnerHooks): Promise<FaultDriver> => {
        const driver = refuseExecStrategy(
          await DockerFaultDriver.connect(dockerClientOf(config), {
            helperImage: config.GAMEDAY_HELPER_IMAGE,
            helperContextDir: config.GAMEDAY_HELPER_CONTEXT,
            watchdogImage: config.GAMEDAY_WATCHDOG_IMAGE,
            engineSocketPath: config.GAMEDAY_ENGINE_SOCKET,
            onEvent: (e) =>
              metrics.faultDriverOperation.observe({ type: e.type, result: e.result }, e.durationMs / 1000),
          }),
          config.GAMEDAY_ALLOW_EXEC_STRATEGY,
        );
        return hooks?.wrapFaultDriver?.(driver) ?? driver;
      },
    },
    // probes, load and webhooks go only where the egress policy allows
    { provide: EgressGuard, inject: [APP_CONFIG], useFactory: (c: AppConfig) => EgressGuard.fromConfig(c) },
    WebhookNotifier,
    DryRunProcessor,
    FaultJobs,
    ControlQueues,
    SafetyLeverGuard,
    ArmingPlanner,
    RunExecutor,
    RunExecuteWorker,
    LeaseReaper,
    UnrecordedReverts,
  ],
  exports: [RunExecuteWorker, FaultJobs, LeaseReaper, RunExecutor],
})
export class RunnerModule {}
