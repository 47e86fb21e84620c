import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { CLOCK } from '@gameday/config';
import {
  type Clock,
  type GameDaySpec,
  planRun,
  planSteps,
  readRunResult,
  type ReportExperiment,
  type ReportPlan,
  type RunReport,
} from '@gameday/core';
import { GameDayRepository, ProbeSampleRepository, RunNoteRepository, RunRepository } from '@gameday/db';
import type { Principal } from '../auth/auth.decorators';
import { runScore } from '../common/run.view';
import {
  faultDetailsHidden,
  HIDDEN_EVENT_MESSAGE,
  isRevealingEvent,
  redactContainerLabels,
  redactHostDetails,
  redactSecrets,
} from '../common/visibility';

type FaultLike = { kind: string; target?: Record<string, unknown>; [key: string]: unknown };

function inline(value: unknown, nested = false): string {
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `[${value.map((v) => inline(v, true)).join(', ')}]`;
  const text = Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${k}=${inline(v, true)}`)
    .join(' ');
  return nested ? `{${text}}` : text;
}

/** One line describing a fault for people: "network fault on container=demo-service2-1: netem={delay=500ms jitter=100ms}". */
export function describeFault(fault: FaultLike): string {
  const { kind, target, ...rest } = fault;
  // a fault naming several selectors (a partition's `between`) shows them where a target would be
  const { between, ...others } = rest;
  const on = target ? inline(target) : Array.isArray(between) ? `between ${inline(between)}` : 'an unspecified target';
  const tail = target || !Array.isArray(between) ? rest : others;
  return `${kind} fault on ${on}${Object.keys(tail).length ? `: ${inline(tail)}` : ''}`;
}

/** The experiment's fault, or each step with its place in the fault window. */
export function describeFaults(exp: GameDaySpec['experiments'][number]): string {
  const secs = (ms: number) => `${ms / 1000}s`;
  return planSteps(exp)
    .plan.map((s) =>
      s.name === null
        ? describeFault(s.fault as unknown as FaultLike)
        : `step "${s.name}" at +${secs(s.offsetMs)} for ${secs(s.durationMs)}: ${describeFault(s.fault as unknown as FaultLike)}`,
    )
    .join('; ');
}

/** Gathers what a report shows, applying the blind-mode rule before anything is rendered. */
@Injectable()
export class RunReportService {
  constructor(
    private readonly runs: RunRepository,
    private readonly gameDays: GameDayRepository,
    private readonly notes: RunNoteRepository,
    private readonly samples: ProbeSampleRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async build(runId: string, principal: Principal, now = this.clock.now()): Promise<RunReport> {
    const run = await this.runs.findById(runId);
    if (!run) throw new NotFoundException(`no run ${runId}`);
    const [gameDay, notes, samples] = await Promise.all([
      this.gameDays.findById(run.gameDayId),
      this.notes.listForRun(runId),
      this.samples.listForRun(runId),
    ]);
    const hidden = faultDetailsHidden(run, gameDay ?? undefined, principal);
    const spec = redactSecrets(run.spec as unknown as GameDaySpec, principal);
    const result = readRunResult(run.result);
    let planned: ReportPlan[] = [];
    try {
      planned = planRun(run.scheduledFor.getTime(), spec.experiments, run.armingLeadMs ?? 0).experiments;
    } catch {
      // a snapshot that no longer plans (should not happen) still gets a report, without windows
    }
    const experiments: ReportExperiment[] = spec.experiments.map((exp, index) => {
      const r = result.experiments?.find((e) => e.index === index);
      return {
        index,
        name: exp.name,
        hypothesis: exp.hypothesis.description,
        ...(hidden
          ? {}
          : {
              fault: describeFaults(exp),
              ...(r?.steps ? { steps: r.steps } : {}),
              ...(r?.gates ? { gates: r.gates } : {}),
              targets: redactHostDetails(redactContainerLabels(r?.targets ?? []), principal) as NonNullable<
                typeof r
              >['targets'],
            }),
        plan: r?.plan ?? planned[index],
        windows: r?.windows,
        stats: r?.stats,
        probes: r?.probes,
        verdict: r?.verdict,
        timeToRecoverMs: r?.timeToRecoverMs ?? null,
        injectionSkewMs: r?.injectionSkewMs ?? null,
        revertSkewMs: r?.revertSkewMs ?? null,
        abortLatencyMs: r?.abortLatencyMs ?? null,
        guardrails: (exp.guardrails ?? []).map((g) => ({
          name: g.name,
          metric: g.metric,
          threshold: g.threshold,
          window: g.window,
          ...(g.for !== undefined ? { for: g.for } : {}),
          ...(g.probe !== undefined ? { probe: g.probe } : {}),
        })),
        aborted: r?.aborted ? { ...r.aborted, reason: redactHostDetails(r.aborted.reason, principal) } : null,
      };
    });
    return {
      runId: run.id,
      gameDayId: run.gameDayId,
      gameDayName: gameDay?.name ?? spec.name,
      environment: spec.environment ?? null,
      mode: gameDay?.mode ?? spec.mode,
      status: run.status,
      trigger: run.trigger,
      verdict: run.verdict,
      deviationRatio: result.deviationRatio ?? null,
      scheduledFor: run.scheduledFor.getTime(),
      startedAt: run.startedAt?.getTime() ?? null,
      finishedAt: run.finishedAt?.getTime() ?? null,
      error: redactHostDetails(run.error, principal),
      abortReason: run.abortReason,
      faultDetailsHidden: hidden,
      experiments,
      events: run.events.map((e) => ({
        type: e.type,
        message: hidden && isRevealingEvent(e.type) ? HIDDEN_EVENT_MESSAGE : redactHostDetails(e.message, principal),
        phase: e.phase,
        experimentIndex: e.experimentIndex,
        plannedAt: e.plannedAt?.getTime() ?? null,
        at: e.at.getTime(),
        data: hidden ? null : (redactHostDetails(redactContainerLabels(e.data), principal) as typeof e.data),
      })),
      samples: samples.map((s) => ({
        experimentIndex: s.experimentIndex,
        probe: s.probe,
        phase: s.phase,
        at: s.at.getTime(),
        durationMs: s.durationMs,
        ...(s.value !== null ? { value: s.value } : {}),
        ok: s.ok,
        status: s.status,
        errorKind: s.errorKind,
      })),
      notes: notes.map((n) => ({
        id: n.id,
        kind: n.kind,
        text: n.text,
        owner: n.owner,
        author: n.author,
        done: n.doneAt !== null,
        createdAt: n.createdAt.getTime(),
      })),
      // from the stored result as it is, so the report's score is the run view's and the metric's
      score: runScore(run, principal),
      generatedAt: now.getTime(),
    };
  }
}
