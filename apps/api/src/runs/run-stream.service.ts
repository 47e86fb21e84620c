import { Inject, Injectable, NotFoundException, type OnModuleDestroy } from '@nestjs/common';
import { CLOCK } from '@gameday/config';
import type { Clock } from '@gameday/core';
import {
  ApiTokenRepository,
  ENDED_RUN_STATUSES,
  GameDayRepository,
  ProbeSampleRepository,
  RunNoteRepository,
  RunRepository,
  type ProbeSample,
} from '@gameday/db';
import type { Principal } from '../auth/auth.decorators';
import { runDetailView } from '../common/run.view';

/** Where one open stream is: what it last sent, so each poll pushes only what changed. */
export interface RunStreamCursor {
  lastRun: string | null;
  lastSampleId: bigint;
}

export interface RunStreamMessage {
  event: 'run' | 'samples';
  data: unknown;
}

/** Samples per poll (probes every 100 ms write many); the rest follow on the next polls. */
const SAMPLES_PER_POLL = 2_000;

export function sampleView(s: ProbeSample) {
  return {
    experimentIndex: s.experimentIndex,
    probe: s.probe,
    phase: s.phase,
    at: s.at.getTime(),
    durationMs: s.durationMs,
    ...(s.value !== null ? { value: s.value } : {}),
    ok: s.ok,
    status: s.status,
  };
}

/**
 * Follows a run in Postgres for a live view. Each poll re-reads the run through the same view
 * GET /runs/:id uses (blind-mode rules included, so a reveal mid-run shows up) and sends it when
 * it changed, plus the probe samples written since the last poll.
 */
@Injectable()
export class RunStreamService implements OnModuleDestroy {
  /** Set at shutdown: open streams end so the HTTP server can close (clients reconnect elsewhere). */
  stopping = false;

  constructor(
    private readonly runs: RunRepository,
    private readonly gameDays: GameDayRepository,
    private readonly notes: RunNoteRepository,
    private readonly samples: ProbeSampleRepository,
    private readonly tokens: ApiTokenRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onModuleDestroy(): void {
    this.stopping = true;
  }

  async exists(runId: string): Promise<void> {
    if (!(await this.runs.findById(runId))) throw new NotFoundException(`no run ${runId}`);
  }

  /**
   * Whether the token that opened a stream still authenticates (not revoked, not expired): a
   * stream outlives the request that checked it. The bootstrap admin token lives as long as the
   * process's configuration.
   */
  async stillAuthorized(principal: Principal): Promise<boolean> {
    return principal.tokenId === null || this.tokens.isActive(principal.tokenId, this.clock.now());
  }

  /** The messages to push now; `ended` once the run is over and every sample was sent. */
  async poll(
    runId: string,
    principal: Principal,
    cursor: RunStreamCursor,
  ): Promise<{ messages: RunStreamMessage[]; ended: boolean }> {
    const run = await this.runs.findById(runId);
    if (!run) return { messages: [], ended: true };
    const [gameDay, notes, samples] = await Promise.all([
      this.gameDays.findById(run.gameDayId),
      this.notes.listForRun(runId),
      this.samples.listForRunAfter(runId, cursor.lastSampleId, SAMPLES_PER_POLL),
    ]);
    const messages: RunStreamMessage[] = [];
    const view = runDetailView(run, principal, gameDay ?? undefined, notes);
    const text = JSON.stringify(view);
    if (text !== cursor.lastRun) {
      cursor.lastRun = text;
      messages.push({ event: 'run', data: view });
    }
    if (samples.length > 0) {
      cursor.lastSampleId = samples[samples.length - 1].id;
      messages.push({ event: 'samples', data: samples.map(sampleView) });
    }
    const ended = ENDED_RUN_STATUSES.includes(run.status) && samples.length < SAMPLES_PER_POLL;
    return { messages, ended };
  }
}
