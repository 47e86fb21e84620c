import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, CLOCK, type AppConfig } from '@gameday/config';
import type { Clock } from '@gameday/core';
import { ProbeSampleRepository } from '@gameday/db';

const DAY_MS = 24 * 3600_000;
/** a sweep an hour: retention counts in days, and each sweep deletes in bounded batches */
const SWEEP_EVERY_MS = 3600_000;

/**
 * Sample retention (GAMEDAY_SAMPLE_RETENTION_DAYS): deletes the probe samples and load
 * aggregates of runs that ended more than that many days ago, shortly after start-up and then
 * hourly. Every worker may sweep; the deletes are idempotent. Without it a busy installation's
 * evidence tables grow without bound.
 */
@Injectable()
export class SampleRetention implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(SampleRetention.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly samples: ProbeSampleRepository,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.GAMEDAY_SAMPLE_RETENTION_DAYS === 0) return;
    // not at start-up itself: a worker starting under load has runs to resume first
    this.timer = setTimeout(() => this.loop(), 60_000);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Deletes what is past retention; returns the counts (0/0 when retention is off). */
  async sweep(): Promise<{ samples: number; load: number }> {
    const days = this.config.GAMEDAY_SAMPLE_RETENTION_DAYS;
    if (days === 0) return { samples: 0, load: 0 };
    const cutoff = new Date(this.clock.now().getTime() - days * DAY_MS);
    const deleted = await this.samples.deleteForRunsFinishedBefore(cutoff);
    if (deleted.samples + deleted.load > 0)
      this.logger.log(
        `retention: deleted ${deleted.samples} samples and ${deleted.load} load aggregates of runs ended before ${cutoff.toISOString()}`,
      );
    return deleted;
  }

  private loop(): void {
    this.running = this.sweep()
      .catch((e) => this.logger.warn(`retention sweep failed: ${(e as Error).message}`))
      .finally(() => {
        if (this.timer) {
          this.timer = setTimeout(() => this.loop(), SWEEP_EVERY_MS);
          this.timer.unref();
        }
      });
  }
}
