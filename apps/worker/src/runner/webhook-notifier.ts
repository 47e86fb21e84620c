import { Inject, Injectable, Logger } from '@nestjs/common';
import type { GameDaySpec } from '@gameday/core';
import { RunRepository } from '@gameday/db';
import { EgressGuard, postWebhook } from '@gameday/probes';

type WebhookEvent = NonNullable<GameDaySpec['webhooks']>[number]['events'][number];

const TIMEOUT_MS = 3_000;
/** details that would give a blind GameDay away before it ends */
const REVEALING = new Set(['targets', 'experiment']);
const FINAL = new Set<WebhookEvent>(['run.completed', 'run.aborted', 'run.failed']);

/**
 * Tells people what is happening: JSON with a Slack-compatible `text` line. A failing webhook is
 * recorded on the run's timeline and never slows or breaks the run.
 */
@Injectable()
export class WebhookNotifier {
  private readonly logger = new Logger(WebhookNotifier.name);

  constructor(
    private readonly runs: RunRepository,
    @Inject(EgressGuard) private readonly egress: EgressGuard,
  ) {}

  async notify(runId: string, spec: GameDaySpec, event: WebhookEvent, details: Record<string, unknown>): Promise<void> {
    const hooks = (spec.webhooks ?? []).filter((h) => h.events.includes(event));
    if (hooks.length === 0) return;
    const blind = spec.mode === 'blind' && !FINAL.has(event);
    const shown = blind ? Object.fromEntries(Object.entries(details).filter(([k]) => !REVEALING.has(k))) : details;
    const text = `GameDay "${spec.name}": ${event.replace('.', ' ')}${
      Object.keys(shown).length
        ? ` — ${Object.entries(shown)
            .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`)
            .join('; ')}`
        : ''
    }`;
    const body = JSON.stringify({
      event,
      runId,
      gameDay: spec.name,
      environment: spec.environment ?? null,
      at: new Date().toISOString(),
      details: shown,
      text,
    });
    await Promise.all(
      hooks.map(async (hook) => {
        try {
          await postWebhook(hook.url, body, this.egress, TIMEOUT_MS);
        } catch (error) {
          const message = `webhook ${new URL(hook.url).host} failed for ${event}: ${(error as Error).message}`;
          this.logger.warn(message);
          await this.runs.appendEvent(runId, { type: 'webhook.failed', message }).catch(() => undefined);
        }
      }),
    );
  }
}
