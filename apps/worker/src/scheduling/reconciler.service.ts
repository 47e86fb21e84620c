import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, CLOCK, type AppConfig } from '@gameday/config';
import type { Clock } from '@gameday/core';
import { GameDayRepository, RunRepository } from '@gameday/db';
import { ScheduleSync } from '@gameday/queue';
import { FireService } from './fire.service';

/**
 * Postgres is the truth; Redis only holds timers. Periodically (WORKER_RECONCILE_INTERVAL_MS)
 * this puts back what Redis lost: the one-shot job or job scheduler of every active GameDay
 * (a Redis flush wipes them; ensure() leaves existing ones alone, so an overdue occurrence is
 * still judged by the missed-run policy), the fire jobs of active GameDays that spent their
 * attempts (a database out of reach for longer than their backoff, as in a burst behind a busy
 * pool), and runs left `scheduled` past their instant whose
 * launch never reached a worker (the enqueue failed after the row was written). Launching is
 * idempotent: the execute job has a deterministic id and only a `scheduled` run is launched.
 */
@Injectable()
export class Reconciler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(Reconciler.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly gameDays: GameDayRepository,
    private readonly runs: RunRepository,
    private readonly sync: ScheduleSync,
    private readonly fire: FireService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.WORKER_RECONCILE) return;
    const loop = () => {
      if (this.stopped) return;
      this.running = this.tick().finally(() => {
        if (!this.stopped) this.timer = setTimeout(loop, this.config.WORKER_RECONCILE_INTERVAL_MS);
      });
    };
    this.timer = setTimeout(loop, this.config.WORKER_RECONCILE_INTERVAL_MS);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  async tick(): Promise<void> {
    try {
      await this.schedules();
      await this.failedFirings();
      await this.stuckRuns();
    } catch (error) {
      this.logger.error(`reconcile failed: ${(error as Error).message}`);
    }
  }

  /**
   * Re-creates the queue entries of active GameDays that Redis does not hold: what it holds read
   * once by id, the GameDays' schedules a page at a time, ensure() asked only of the missing.
   */
  async schedules(): Promise<number> {
    let added = 0;
    const holds = await this.sync.holdings();
    let after: string | undefined;
    for (;;) {
      const page = await this.gameDays.listActiveSchedules(RECONCILE_PAGE, after);
      for (const g of page.filter((g) => !holds(g))) {
        try {
          if ((await this.sync.ensure(g)) === 'added') added++;
        } catch (error) {
          this.logger.error(`could not schedule GameDay ${g.id}: ${(error as Error).message}`);
        }
      }
      if (page.length < RECONCILE_PAGE) break;
      after = page[page.length - 1].id;
    }
    if (added > 0) this.logger.warn(`re-scheduled ${added} GameDay(s) missing from the queue`);
    return added;
  }

  /**
   * Fires again the occurrences whose fire job failed, while their GameDay is active: the firing
   * judges each anew (late ones by the missed-run policy; one fired meanwhile is a duplicate).
   */
  async failedFirings(): Promise<number> {
    const failed = await this.sync.failedFirings(FAILED_FIRINGS_PER_TICK);
    if (failed.length === 0) return 0;
    // ids only: failed jobs of ended GameDays stay for days and are read again every tick
    const active = await this.gameDays.activeAmong([...new Set(failed.map((f) => f.gameDayId))]);
    let retried = 0;
    for (const f of failed) {
      if (!active.has(f.gameDayId)) continue;
      try {
        await f.retry();
        retried++;
      } catch (error) {
        this.logger.error(`could not fire again GameDay ${f.gameDayId}'s occurrence: ${(error as Error).message}`);
      }
    }
    if (retried > 0) this.logger.warn(`fired again ${retried} occurrence(s) whose firing had failed`);
    return retried;
  }

  /** Launches runs still `scheduled` one interval after their instant (their launch was lost). */
  async stuckRuns(now = this.clock.now().getTime()): Promise<number> {
    const before = new Date(now - this.config.WORKER_RECONCILE_INTERVAL_MS);
    let launched = 0;
    for (const run of await this.runs.listStuckScheduled(before, 100)) {
      try {
        if ((await this.fire.launchExisting(run.id)) === 'launched') launched++;
      } catch (error) {
        this.logger.error(`could not launch stuck run ${run.id}: ${(error as Error).message}`);
      }
    }
    if (launched > 0) this.logger.warn(`launched ${launched} run(s) left scheduled without a job`);
    return launched;
  }
}

/** active GameDays' schedules read per query */
const RECONCILE_PAGE = 1_000;

/** a burst's worth of failed fire jobs is taken back within a tick or two */
const FAILED_FIRINGS_PER_TICK = 5_000;
