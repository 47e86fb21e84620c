import { fieldErrors } from './field-errors';
import { gameDaySpecSchema } from './gameday.schema';

/** The minimal GameDay of the design document, verbatim: it must stay valid as the spec grows. */
const MINIMAL = `{"name": "service2 latency", "timezone": "UTC", "schedule": {"at": "2030-01-01T10:00:00.000Z"},
 "experiments": [{"name": "latency",
   "hypothesis": {"description": "errors within 300ms",
                  "probes": [{"name": "front", "url": "http://127.0.0.1:8000/?timeout_ms=300", "timeoutMs": 1000}]},
   "fault": {"kind": "network", "target": {"container": "demo-service2-1"},
             "netem": {"delay": "500ms", "jitter": "100ms"}},
   "durations": {"baseline": "30s", "fault": "2m", "recovery": "30s"}}]}`;

const minimal = () => JSON.parse(MINIMAL);

function errorsOf(body: unknown) {
  const r = gameDaySpecSchema.safeParse(body);
  if (r.success) return [];
  return fieldErrors(r.error);
}

describe('gameDaySpecSchema', () => {
  it('accepts the minimal GameDay of the design document and fills defaults', () => {
    const r = gameDaySpecSchema.safeParse(minimal());
    expect(r.success ? [] : fieldErrors(r.error)).toEqual([]);
    expect(r.data?.mode).toBe('announced');
    expect(r.data?.schedule).toEqual({
      at: '2030-01-01T10:00:00.000Z',
      missedRunPolicy: { mode: 'run_late', deadline: '15m' },
    });
    expect(r.data?.experiments[0].hypothesis.probes[0]).toMatchObject({
      method: 'GET',
      expectedStatus: [200],
      interval: '1s',
    });
  });

  it('accepts the recurring example', () => {
    const body = { ...minimal(), schedule: { cron: '0 10 * * MON', timezone: 'Australia/Sydney' } };
    expect(errorsOf(body)).toEqual([]);
  });

  it('accepts a complete GameDay', () => {
    const body = {
      ...minimal(),
      description: 'd',
      champion: 'alice',
      environment: 'staging',
      mode: 'blind',
      participants: [
        {
          name: 'bob',
          contact: 'bob@example.com',
          timezone: 'Europe/Paris',
          workingHours: { days: ['mon', 'tue'], start: '09:00', end: '18:00' },
        },
      ],
      blackouts: [
        { name: 'xmas', timezone: 'Europe/Paris', start: '2030-12-24T00:00', end: '2030-12-27T00:00' },
        { timezone: 'UTC', weekly: { days: ['fri'], start: '16:00', end: '24:00' } },
      ],
      webhooks: [{ url: 'https://hooks.example.com/x', events: ['run.completed'] }],
      schedule: {
        cron: '*/2 * * * * *',
        timezone: 'Asia/Kolkata',
        startsAt: '2030-01-01T00:00:00Z',
        endsAt: '2030-02-01T00:00:00+01:00',
        missedRunPolicy: { mode: 'skip', deadline: '5m' },
      },
    };
    body.experiments[0].load = { url: 'http://127.0.0.1:8000/', rate: 50 };
    body.experiments[0].guardrails = [
      { name: 'errors', metric: 'errorRate', threshold: 0.5, window: '10s', for: '5s' },
    ];
    body.experiments[0].hypothesis.tolerances = {
      fault: { p95Ms: 350, expectedStatus: [500] },
      recovery: { maxDeviationRatio: 1.5 },
    };
    expect(errorsOf(body)).toEqual([]);
  });

  it.each<[string, (b: ReturnType<typeof minimal>) => void, string]>([
    ['unknown top-level field', (b) => (b.colour = 'red'), 'colour'],
    ['bad timezone', (b) => (b.timezone = 'Mars/Olympus'), 'timezone'],
    ['local instant', (b) => (b.schedule.at = '2030-01-01T10:00:00'), 'schedule.at'],
    ['bad cron', (b) => (b.schedule = { cron: '61 * * * *', timezone: 'UTC' }), 'schedule.cron'],
    ['cron with 3 fields', (b) => (b.schedule = { cron: '* * *', timezone: 'UTC' }), 'schedule.cron'],
    ['cron without timezone', (b) => (b.schedule = { cron: '0 10 * * *' }), 'schedule.timezone'],
    ['delay without unit', (b) => (b.experiments[0].fault.netem.delay = '500'), 'experiments[0].fault.netem.delay'],
    [
      'ftp probe',
      (b) => (b.experiments[0].hypothesis.probes[0].url = 'ftp://x/'),
      'experiments[0].hypothesis.probes[0].url',
    ],
    ['no experiments', (b) => (b.experiments = []), 'experiments'],
    ['unknown fault field', (b) => (b.experiments[0].fault.nettem = {}), 'experiments[0].fault.nettem'],
    [
      'probe named like the load series',
      (b) => (b.experiments[0].hypothesis.probes[0].name = 'load'),
      'experiments[0].hypothesis.probes[0].name',
    ],
  ])('rejects %s naming the field', (_label, mutate, field) => {
    const body = minimal();
    mutate(body);
    expect(errorsOf(body).map((e) => e.field)).toContain(field);
  });

  it('names every invalid field at once', () => {
    const body = minimal();
    body.timezone = 'nowhere';
    body.experiments[0].durations.fault = 'forever';
    body.experiments[0].hypothesis.probes[0].timeoutMs = -1;
    expect(
      errorsOf(body)
        .map((e) => e.field)
        .sort(),
    ).toEqual(['experiments[0].durations.fault', 'experiments[0].hypothesis.probes[0].timeoutMs', 'timezone']);
  });
});

describe('prometheus probes', () => {
  const ERROR_RATIO =
    'sum(rate(http_server_request_duration_seconds_count{job="service1",status=~"5.."}[15s])) / sum(rate(http_server_request_duration_seconds_count{job="service1"}[15s]))';
  const withProbes = (probes: unknown[], guardrails?: unknown[]) => {
    const body = minimal();
    body.experiments[0].hypothesis.probes = probes;
    if (guardrails) body.experiments[0].guardrails = guardrails;
    return body;
  };

  it('accepts a PromQL probe with a healthy range and a guardrail on its value, and fills defaults', () => {
    const body = withProbes(
      [{ kind: 'prometheus', name: 'error-ratio', query: ERROR_RATIO, max: 0.05 }],
      [{ name: 'errors', probe: 'error-ratio', metric: 'value', threshold: 0.5, for: '5s' }],
    );
    const r = gameDaySpecSchema.safeParse(body);
    expect(r.success ? [] : fieldErrors(r.error)).toEqual([]);
    expect(r.data?.experiments[0].hypothesis.probes[0]).toEqual({
      kind: 'prometheus',
      name: 'error-ratio',
      query: ERROR_RATIO,
      max: 0.05,
      timeoutMs: 2000,
      interval: '5s',
    });
  });

  it('refuses PromQL that does not parse, naming the field and where', () => {
    const errors = errorsOf(withProbes([{ kind: 'prometheus', name: 'p95', query: 'sum(rate(x[1m])' }]));
    expect(errors).toEqual([
      {
        field: 'experiments[0].hypothesis.probes[0].query',
        message: expect.stringMatching(/^is not valid PromQL: syntax error at character 16/),
      },
    ]);
    expect(errorsOf(withProbes([{ kind: 'prometheus', name: 'p95', query: ' ' }]))[0]).toMatchObject({
      field: 'experiments[0].hypothesis.probes[0].query',
      message: 'must not be empty',
    });
  });

  it('refuses an inverted range, an unknown kind and a hypothesis mixing http and prometheus probes', () => {
    expect(errorsOf(withProbes([{ kind: 'prometheus', name: 'r', query: 'up', min: 2, max: 1 }]))).toEqual([
      { field: 'experiments[0].hypothesis.probes[0].min', message: 'min must not exceed max' },
    ]);
    expect(errorsOf(withProbes([{ kind: 'grpc', name: 'r' }]))[0].field).toBe(
      'experiments[0].hypothesis.probes[0].kind',
    );
    const mixed = errorsOf(
      withProbes([
        { name: 'front', url: 'http://127.0.0.1:8000/', timeoutMs: 1000 },
        { kind: 'prometheus', name: 'ratio', query: 'up' },
      ]),
    );
    expect(mixed).toEqual([
      {
        field: 'experiments[0].hypothesis.probes[1].kind',
        message: expect.stringContaining('all http or all prometheus'),
      },
    ]);
  });
});
