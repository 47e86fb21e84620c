import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Clock, GameDaySpec } from '@gameday/core';
import { CLOCK } from '@gameday/config';
import { RunRepository } from '@gameday/db';
import { EgressGuard, postWebhook } from '@gameday/probes';

type WebhookEvent = NonNullable<GameDaySpec['webhooks']>[number]['events'][number];

const TIMEOUT_MS = 3_000;
/** details that would give a blind GameDay away before it ends */
const REVEALING = new Set(['targets', 'experiment']);
const FINAL = new Set<WebhookEvent>(['run.completed', 'run.aborted', 'run.failed']);

/**
 * Tells people what is happening: JSON with a Slack-compatible `text` line. A failing webhook is
 * recorded on the run's timeline and never slows or breaks the run: notify never rejects, whatever
 * a stored webhook holds (a row older than the API's checks, or changed behind them).
 */
@Injectable()
export class WebhookNotifier {
  private readonly logger = new Logger(WebhookNotifier.name);

  constructor(
    private readonly runs: RunRepository,
    @Inject(EgressGuard) private readonly egress: EgressGuard,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async notify(runId: string, spec: GameDaySpec, event: WebhookEvent, details: Record<string, unknown>): Promise<void> {
    try {
      const hooks = (spec.webhooks ?? []).filter((h) => Array.isArray(h?.events) && h.events.includes(event));
      if (hooks.length === 0) return;
      const body = this.bodyOf(runId, spec, event, details);
      await Promise.all(hooks.map((hook) => this.deliver(runId, hook.url, body, event)));
    } catch (error) {
      // a webhook is never a reason for a run to fail
      this.logger.warn(`webhooks of run ${runId} for ${event} not sent: ${(error as Error).message}`);
    }
  }

  private bodyOf(runId: string, spec: GameDaySpec, event: WebhookEvent, details: Record<string, unknown>): string {
    const blind = spec.mode === 'blind' && !FINAL.has(event);
    const shown = blind ? Object.fromEntries(Object.entries(details).filter(([k]) => !REVEALING.has(k))) : details;
    const text = `GameDay "${spec.name}": ${event.replace('.', ' ')}${
      Object.keys(shown).length
        ? ` — ${Object.entries(shown)
            .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`)
            .join('; ')}`
        : ''
    }`;
    return JSON.stringify({
      event,
      runId,
      gameDay: spec.name,
      environment: spec.environment ?? null,
      at: this.clock.now().toISOString(),
      details: shown,
      text,
    });
  }

  /** One delivery; its failure, synchronous or not, is a `webhook.failed` event on the run. */
  private async deliver(runId: string, url: unknown, body: string, event: WebhookEvent): Promise<void> {
    try {
      if (typeof url !== 'string') throw new Error('the webhook has no URL');
      await postWebhook(url, body, this.egress, TIMEOUT_MS);
    } catch (error) {
      const message = `webhook ${hostOf(url)} failed for ${event}: ${(error as Error)?.message ?? String(error)}`;
      this.logger.warn(message);
      await this.runs.appendEvent(runId, { type: 'webhook.failed', message }).catch(() => undefined);
    }
  }
}

/** The host alone (the path of a webhook URL is its credential); "(invalid URL)" when there is none. */
function hostOf(url: unknown): string {
  try {
    return new URL(String(url)).host || '(no host)';
  } catch {
    return '(invalid URL)';
  }
}
