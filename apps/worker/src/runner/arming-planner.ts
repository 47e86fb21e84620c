import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  ARMING_EVENTS,
  ARMING_LEAD,
  faultsToArm,
  learnArmingLead,
  needsArmingLead,
  type ArmingLead,
  type ArmingLeadPolicy,
  type ExperimentSpec,
  type FaultDriver,
} from '@gameday/core';
import { ArmingRepository, RunRepository, type Prisma, type Run } from '@gameday/db';
import { RUNNER_HOOKS, type RunnerHooks } from './runner.hooks';
import { FAULT_DRIVER } from './runner.tokens';

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/**
 * The arming lead of a run: learned from this engine's own recent armings when the run first
 * starts, settled on the run (so a resumed run keeps its plan) and explained in its timeline.
 */
@Injectable()
export class ArmingPlanner {
  readonly policy: ArmingLeadPolicy;

  constructor(
    private readonly arming: ArmingRepository,
    private readonly runs: RunRepository,
    @Inject(FAULT_DRIVER) private readonly driver: FaultDriver,
    @Optional() @Inject(RUNNER_HOOKS) hooks?: RunnerHooks,
  ) {
    this.policy = hooks?.armingPolicy ?? ARMING_LEAD;
  }

  /** What a run of these experiments starting now on this engine would reserve (dry runs show it). */
  async learn(experiments: Parameters<typeof faultsToArm>[0]): Promise<ArmingLead & { engine: string }> {
    const recent = await this.arming.recentArmingMsPerFault(this.driver.engine, this.policy.history);
    return { ...learnArmingLead(recent, this.policy, faultsToArm(experiments)), engine: this.driver.engine };
  }

  /**
   * The run's lead (ms). Settled once, by the first executor of a run that has not started; a run
   * that started before leads existed planned none and keeps it that way.
   */
  async leadFor(run: Pick<Run, 'id' | 'armingLeadMs' | 'status'>, experiments: ExperimentSpec[]) {
    if (run.armingLeadMs !== null) return run.armingLeadMs;
    if (run.status !== 'scheduled') return 0;
    if (!needsArmingLead(experiments)) return this.arming.settleLead(run.id, 0);
    const lead = await this.learn(experiments);
    const settled = await this.arming.settleLead(run.id, lead.leadMs);
    if (settled === lead.leadMs)
      await this.runs.appendEvent(run.id, {
        type: ARMING_EVENTS.planned,
        message: `arming starts ${seconds(lead.leadMs)} ahead of each baseline that gives no durations.arming: ${explain(lead)}`,
        data: lead as unknown as Prisma.InputJsonValue,
      });
    return settled;
  }
}

function explain(lead: ArmingLead): string {
  const p = lead.policy;
  // per fault, times the faults of the experiment that arms the most
  const n = lead.faults;
  const times = n > 1 ? ` × ${n} faults` : '';
  const learned = lead.p90Ms === null ? null : `p90 ${seconds(lead.p90Ms)} per fault × ${p.margin}${times}`;
  if (lead.source === 'cold')
    return `this engine has ${lead.samples} arming(s) on record, fewer than ${p.minHistory}: at least ${seconds(p.coldMs)}${times}${learned ? ` (${learned})` : ''}, at most ${seconds(p.capMs * n)}`;
  return `learned from this engine's last ${lead.samples} armings (${learned}), at least ${seconds(p.floorMs)}, at most ${seconds(p.capMs * n)}`;
}
