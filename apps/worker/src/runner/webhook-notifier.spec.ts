import { buildEgressPolicy, systemClock, type GameDaySpec } from '@gameday/core';
import type { RunRepository } from '@gameday/db';
import { EgressGuard } from '@gameday/probes';
import { WebhookNotifier } from './webhook-notifier';

// Webhooks as a row stored before the API checked them (or changed behind it) would hold them:
// every failure is a `webhook.failed` event on the run, and notify itself never rejects (the
// executor awaits it between phases: a rejection there would fail the run, or worse).

describe('WebhookNotifier with webhooks it cannot send', () => {
  const events: { type: string; message: string }[] = [];
  const runs = {
    appendEvent: async (_runId: string, e: { type: string; message: string }) => {
      events.push(e);
    },
  } as unknown as RunRepository;
  // nothing resolves: no test here may reach a network
  const egress = new EgressGuard(buildEgressPolicy({}), async () => {
    throw new Error('no DNS in this test');
  });
  const notifier = new WebhookNotifier(runs, egress, systemClock);

  beforeEach(() => (events.length = 0));

  const specWith = (webhooks: unknown[]) =>
    ({ name: 'g', mode: 'announced', webhooks, experiments: [] }) as unknown as GameDaySpec;

  it('records an unparsable URL as a delivery error, naming no path', async () => {
    await expect(
      notifier.notify('run-1', specWith([{ url: 'not a url', events: ['run.completed'] }]), 'run.completed', {}),
    ).resolves.toBeUndefined();
    expect(events).toEqual([
      { type: 'webhook.failed', message: 'webhook (invalid URL) failed for run.completed: not a URL' },
    ]);
  });

  it('records a URL that is not text, and survives events that are not a list', async () => {
    const spec = specWith([
      { url: 42, events: ['run.completed'] },
      { url: 'https://hooks.example.com/T0/B0/secret', events: 'run.completed' },
      null,
    ]);
    await expect(notifier.notify('run-1', spec, 'run.completed', {})).resolves.toBeUndefined();
    expect(events.map((e) => e.message)).toEqual([
      'webhook (invalid URL) failed for run.completed: the webhook has no URL',
    ]);
  });

  it('records a destination that does not resolve with its host only', async () => {
    const spec = specWith([{ url: 'https://hooks.example.com/T0/B0/secret', events: ['run.completed'] }]);
    await notifier.notify('run-1', spec, 'run.completed', { verdict: 'hypothesis_held' });
    expect(events).toEqual([
      { type: 'webhook.failed', message: expect.stringContaining('webhook hooks.example.com failed') },
    ]);
    expect(events[0].message).not.toContain('secret');
  });
});
