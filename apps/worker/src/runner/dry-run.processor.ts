import { Inject, Injectable } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { CLOCK } from '@gameday/config';
import {
  type Clock,
  type FaultDriver,
  gameDaySpecSchema,
  needsArmingLead,
  sampleWarnings,
  stepPlan,
} from '@gameday/core';
import { GameDayRepository } from '@gameday/db';
import type { DryRunExperiment, DryRunJob, DryRunReport } from '@gameday/queue';
import { ArmingPlanner } from './arming-planner';
import { FAULT_DRIVER } from './runner.tokens';

/**
 * Dry run of a GameDay: for each experiment, the targets the fault would hit now, the candidates
 * refused and why, and the exact apply / verify / revert argv; the arming a run would reserve on
 * this engine now; windows too short for minSamples. The driver's dryRun only reads (container
 * inspection) and compiles: no helper is started, no lease written, nothing applied.
 */
@Injectable()
export class DryRunProcessor {
  constructor(
    private readonly gameDays: GameDayRepository,
    @Inject(FAULT_DRIVER) private readonly driver: FaultDriver,
    private readonly arming: ArmingPlanner,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async process(job: DryRunJob): Promise<DryRunReport> {
    const gameDay = await this.gameDays.findById(job.gameDayId);
    if (!gameDay) throw new UnrecoverableError(`no GameDay ${job.gameDayId}`);
    const spec = gameDaySpecSchema.parse(gameDay.spec);
    // one experiment whose target is missing must not hide what the others would do
    const experiments = await Promise.all(
      spec.experiments.flatMap((exp, index) =>
        stepPlan(exp).map(async (s): Promise<DryRunExperiment> => {
          const head = {
            index,
            name: exp.name,
            fault: s.fault,
            ...(s.name === null ? {} : { step: { name: s.name, offsetMs: s.offsetMs, durationMs: s.durationMs } }),
          };
          try {
            // a JSON round trip: the report travels through Redis as the job's return value
            const result = JSON.parse(JSON.stringify(await this.driver.dryRun(s.fault))) as DryRunExperiment['result'];
            return { ...head, result };
          } catch (error) {
            return { ...head, error: (error as Error).message };
          }
        }),
      ),
    );
    return {
      gameDayId: gameDay.id,
      gameDayVersion: gameDay.version,
      resolvedAt: this.clock.now().toISOString(),
      arming: needsArmingLead(spec.experiments) ? await this.arming.learn(spec.experiments) : null,
      warnings: sampleWarnings(spec.experiments),
      experiments,
    };
  }
}
