import type { GameDaySpec } from '@gameday/core';
import { keepStoredSecrets, sameDestination } from './stored-secrets';

describe('sameDestination: a kept secret goes only where it was given for', () => {
  it.each([
    ['the same URL', 'https://api.example.com/v1', 'https://api.example.com/v1'],
    ['another path and query', 'https://api.example.com/v1', 'https://api.example.com/v2/health?x=1'],
    ['host case and the default port written out', 'http://API.example.com/', 'http://api.example.com:80/x'],
    [
      'a placeholder webhook URL of the same origin',
      'https://hooks.example.com/T0/B0/s',
      'https://hooks.example.com/***',
    ],
  ])('keeps it for %s', (_label, stored, sent) => {
    expect(sameDestination(stored, sent)).toBe(true);
  });

  it.each([
    ['another host', 'https://api.example.com/', 'https://attacker.example.net/'],
    ['another port', 'http://127.0.0.1:8000/', 'http://127.0.0.1:8001/'],
    ['another scheme', 'https://api.example.com/', 'http://api.example.com/'],
    ['a sub-domain', 'https://example.com/', 'https://evil.example.com/'],
    ['no URL', 'https://api.example.com/', undefined],
    ['not a URL', 'https://api.example.com/', 'api.example.com'],
    ['a URL without an origin', 'file:///etc/passwd', 'file:///etc/passwd'],
  ])('refuses it for %s', (_label, stored, sent) => {
    expect(sameDestination(stored, sent)).toBe(false);
  });
});

describe('keepStoredSecrets', () => {
  const stored = {
    webhooks: [{ url: 'https://hooks.example.com/T0/B0/secret', events: ['run.completed'] }],
    experiments: [
      {
        name: 'latency',
        hypothesis: {
          probes: [
            {
              name: 'front',
              url: 'http://127.0.0.1:8000/?timeout_ms=300',
              headers: { Authorization: 'Bearer a-token' },
              body: 'a-body',
            },
          ],
        },
        load: { url: 'http://127.0.0.1:8000/', headers: { 'X-Api-Key': 'a-key' }, body: 'load-body' },
      },
    ],
  } as unknown as GameDaySpec;

  /** What a client that read the GameDay (secrets redacted) sends back, with `url` changed. */
  const readBack = (probeUrl: string, loadUrl: string, webhookUrl = 'https://hooks.example.com/***') => ({
    webhooks: [{ url: webhookUrl, events: ['run.completed'] }],
    experiments: [
      {
        name: 'latency',
        hypothesis: {
          probes: [{ name: 'front', url: probeUrl, headers: { Authorization: '***' }, body: '***' }],
        },
        load: { url: loadUrl, headers: { 'X-Api-Key': '***' }, body: '***' },
      },
    ],
  });

  it('restores every placeholder while the destinations are unchanged (path and query may change)', () => {
    const { patch, errors } = keepStoredSecrets(
      readBack('http://127.0.0.1:8000/health', 'http://127.0.0.1:8000/?n=1'),
      stored,
    );
    expect(errors).toEqual([]);
    expect(patch).toMatchObject({
      webhooks: [{ url: 'https://hooks.example.com/T0/B0/secret' }],
      experiments: [
        {
          hypothesis: { probes: [{ headers: { Authorization: 'Bearer a-token' }, body: 'a-body' }] },
          load: { headers: { 'X-Api-Key': 'a-key' }, body: 'load-body' },
        },
      ],
    });
  });

  it('refuses every placeholder of a probe or load that now goes elsewhere, naming each field', () => {
    const { patch, errors } = keepStoredSecrets(
      readBack('http://attacker.example.net:8000/', 'https://127.0.0.1:8000/', 'https://attacker.example.net/***'),
      stored,
    );
    expect(errors.map((e) => e.field)).toEqual([
      'webhooks[0].url',
      'experiments[0].hypothesis.probes[0].headers.Authorization',
      'experiments[0].hypothesis.probes[0].body',
      'experiments[0].load.headers["X-Api-Key"]',
      'experiments[0].load.body',
    ]);
    expect(errors[1].message).toMatch(
      /now goes to http:\/\/attacker\.example\.net:8000 instead of http:\/\/127\.0\.0\.1:8000/,
    );
    // nothing stored travels with the patch
    expect(JSON.stringify(patch)).not.toMatch(/a-token|a-body|a-key|load-body|T0\/B0/);
  });

  it('takes a new value for a new destination', () => {
    const body = readBack('http://other.example.com/', 'http://127.0.0.1:8000/');
    body.experiments[0].hypothesis.probes[0].headers.Authorization = 'Bearer b-token';
    body.experiments[0].hypothesis.probes[0].body = 'b-body';
    const { patch, errors } = keepStoredSecrets(body, stored);
    expect(errors).toEqual([]);
    expect(patch).toMatchObject({
      experiments: [{ hypothesis: { probes: [{ headers: { Authorization: 'Bearer b-token' }, body: 'b-body' }] } }],
    });
  });
});
