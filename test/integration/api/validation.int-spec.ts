import type { Queue } from 'bullmq';
import { SCHEDULE_QUEUE } from '@gameday/queue';
import { randomUUID } from 'node:crypto';
import { type JsonBody, minimalGameDay } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';

/**
 * Every invalid body is answered 400 (or 422 for calendar conflicts) with problem+json naming the
 * offending field, and leaves no trace: no GameDay row and no job in the queue.
 */
describe('GameDay validation (real Postgres + Redis)', () => {
  const marker = `validation-${randomUUID()}`;
  const stack = useStack({ name: 'validation', marker });
  const { prisma } = stack;
  const queue = () => stack.api.get<Queue>(SCHEDULE_QUEUE);

  const inAWeek = () => new Date(Date.now() + 7 * 24 * 3600_000);
  const base = (): JsonBody => minimalGameDay(inAWeek(), { name: `${marker} gameday` });
  const exp = (b: JsonBody) => b.experiments[0];
  const netem = (b: JsonBody) => exp(b).fault.netem;
  const probe = (b: JsonBody) => exp(b).hypothesis.probes[0];

  type Case = [label: string, mutate: (b: JsonBody) => unknown, field: string, status?: number];
  const cases: Case[] = [
    // top level
    ['unknown top-level field', (b) => (b.owner = 'me'), 'owner'],
    ['missing name', (b) => delete b.name, 'name'],
    ['empty name', (b) => (b.name = ''), 'name'],
    ['name too long', (b) => (b.name = `${marker} ${'x'.repeat(300)}`), 'name'],
    ['name not a string', (b) => (b.name = 42), 'name'],
    ['description too long', (b) => (b.description = 'x'.repeat(10_001)), 'description'],
    ['unknown mode', (b) => (b.mode = 'secret'), 'mode'],
    ['invalid environment', (b) => (b.environment = 'prod env!'), 'environment'],
    ['missing timezone', (b) => delete b.timezone, 'timezone'],
    ['unknown timezone', (b) => (b.timezone = 'Mars/Olympus_Mons'), 'timezone'],
    // schedule
    ['missing schedule', (b) => delete b.schedule, 'schedule'],
    ['schedule in the past', (b) => (b.schedule.at = '2020-01-01T00:00:00Z'), 'schedule.at'],
    ['schedule without offset', (b) => (b.schedule.at = '2031-01-01T10:00:00'), 'schedule.at'],
    ['schedule not a date', (b) => (b.schedule.at = 'tomorrow'), 'schedule.at'],
    ['cron out of range', (b) => (b.schedule = { cron: '61 * * * *', timezone: 'UTC' }), 'schedule.cron'],
    ['cron with too few fields', (b) => (b.schedule = { cron: '* * *', timezone: 'UTC' }), 'schedule.cron'],
    ['cron with 7 fields', (b) => (b.schedule = { cron: '0 0 0 * * * 2030', timezone: 'UTC' }), 'schedule.cron'],
    ['cron garbage', (b) => (b.schedule = { cron: 'every monday', timezone: 'UTC' }), 'schedule.cron'],
    ['cron with bad timezone', (b) => (b.schedule = { cron: '0 10 * * MON', timezone: 'Sydney' }), 'schedule.timezone'],
    ['cron without timezone', (b) => (b.schedule = { cron: '0 10 * * MON' }), 'schedule.timezone'],
    [
      'cron endsAt before startsAt',
      (b) =>
        (b.schedule = {
          cron: '0 10 * * MON',
          timezone: 'UTC',
          startsAt: '2031-02-01T00:00:00Z',
          endsAt: '2031-01-01T00:00:00Z',
        }),
      'schedule.endsAt',
    ],
    [
      'cron endsAt in the past',
      (b) => (b.schedule = { cron: '0 10 * * MON', timezone: 'UTC', endsAt: '2021-01-01T00:00:00Z' }),
      'schedule.endsAt',
    ],
    [
      'unknown missed-run mode',
      (b) => (b.schedule.missedRunPolicy = { mode: 'later', deadline: '5m' }),
      'schedule.missedRunPolicy.mode',
    ],
    [
      'missed-run deadline without unit',
      (b) => (b.schedule.missedRunPolicy = { mode: 'run_late', deadline: '300' }),
      'schedule.missedRunPolicy.deadline',
    ],
    ['unknown schedule field', (b) => (b.schedule.every = '1h'), 'schedule.every'],
    // participants, blackouts, webhooks
    [
      'participant timezone',
      (b) => (b.participants = [{ name: 'amy', timezone: 'Europe/Londres' }]),
      'participants[0].timezone',
    ],
    [
      'participant working hours end before start',
      (b) => (b.participants = [{ name: 'amy', timezone: 'UTC', workingHours: { start: '17:00', end: '09:00' } }]),
      'participants[0].workingHours.end',
    ],
    [
      'participant working hours bad time',
      (b) => (b.participants = [{ name: 'amy', timezone: 'UTC', workingHours: { start: '9am', end: '17:00' } }]),
      'participants[0].workingHours.start',
    ],
    [
      'participant unknown weekday',
      (b) =>
        (b.participants = [
          { name: 'amy', timezone: 'UTC', workingHours: { days: ['funday'], start: '09:00', end: '17:00' } },
        ]),
      'participants[0].workingHours.days[0]',
    ],
    [
      'too many participants',
      (b) => (b.participants = Array.from({ length: 51 }, (_, i) => ({ name: `p${i}`, timezone: 'UTC' }))),
      'participants',
    ],
    ['blackout without window', (b) => (b.blackouts = [{ timezone: 'UTC' }]), 'blackouts[0]'],
    [
      'blackout end before start',
      (b) => (b.blackouts = [{ timezone: 'UTC', start: '2031-01-02T00:00', end: '2031-01-01T00:00' }]),
      'blackouts[0].end',
    ],
    [
      'webhook not http',
      (b) => (b.webhooks = [{ url: 'file:///etc/passwd', events: ['run.completed'] }]),
      'webhooks[0].url',
    ],
    [
      'webhook unknown event',
      (b) => (b.webhooks = [{ url: 'https://x.example/h', events: ['run.exploded'] }]),
      'webhooks[0].events[0]',
    ],
    // experiments
    ['no experiments', (b) => (b.experiments = []), 'experiments'],
    [
      'too many experiments',
      (b) => (b.experiments = Array.from({ length: 21 }, (_, i) => ({ ...exp(b), name: `e${i}` }))),
      'experiments',
    ],
    ['duplicate experiment names', (b) => b.experiments.push({ ...exp(b) }), 'experiments[1].name'],
    ['unknown experiment field', (b) => (exp(b).weight = 1), 'experiments[0].weight'],
    ['missing hypothesis', (b) => delete exp(b).hypothesis, 'experiments[0].hypothesis'],
    ['no probes', (b) => (exp(b).hypothesis.probes = []), 'experiments[0].hypothesis.probes'],
    ['probe url not http', (b) => (probe(b).url = 'gopher://x/'), 'experiments[0].hypothesis.probes[0].url'],
    ['probe url not a url', (b) => (probe(b).url = 'service1'), 'experiments[0].hypothesis.probes[0].url'],
    ['probe timeout negative', (b) => (probe(b).timeoutMs = -5), 'experiments[0].hypothesis.probes[0].timeoutMs'],
    ['probe timeout fractional', (b) => (probe(b).timeoutMs = 1.5), 'experiments[0].hypothesis.probes[0].timeoutMs'],
    ['probe method unknown', (b) => (probe(b).method = 'FETCH'), 'experiments[0].hypothesis.probes[0].method'],
    [
      'probe expected status out of range',
      (b) => (probe(b).expectedStatus = [700]),
      'experiments[0].hypothesis.probes[0].expectedStatus[0]',
    ],
    ['probe name with spaces', (b) => (probe(b).name = 'front end'), 'experiments[0].hypothesis.probes[0].name'],
    [
      'tolerance error rate above 1',
      (b) => (exp(b).hypothesis.tolerances = { fault: { maxErrorRate: 5 } }),
      'experiments[0].hypothesis.tolerances.fault.maxErrorRate',
    ],
    [
      'tolerance unknown field',
      (b) => (exp(b).hypothesis.tolerances = { fault: { p42Ms: 5 } }),
      'experiments[0].hypothesis.tolerances.fault.p42Ms',
    ],
    ['load rate zero', (b) => (exp(b).load = { url: 'http://127.0.0.1:8000/', rate: 0 }), 'experiments[0].load.rate'],
    [
      'guardrail unknown metric',
      (b) => (exp(b).guardrails = [{ name: 'g', metric: 'cpu', threshold: 1 }]),
      'experiments[0].guardrails[0].metric',
    ],
    [
      'guardrail error-rate threshold above 1',
      (b) => (exp(b).guardrails = [{ name: 'g', metric: 'errorRate', threshold: 50 }]),
      'experiments[0].guardrails[0].threshold',
    ],
    // durations
    ['duration without unit', (b) => (exp(b).durations.fault = '120'), 'experiments[0].durations.fault'],
    ['duration too long', (b) => (exp(b).durations.fault = '5h'), 'experiments[0].durations.fault'],
    ['duration missing', (b) => delete exp(b).durations.recovery, 'experiments[0].durations.recovery'],
    // fault
    ['unknown fault kind', (b) => (exp(b).fault.kind = 'cpu'), 'experiments[0].fault.kind'],
    ['delay without unit', (b) => (netem(b).delay = '500'), 'experiments[0].fault.netem.delay'],
    ['negative delay', (b) => (netem(b).delay = '-5ms'), 'experiments[0].fault.netem.delay'],
    [
      'jitter without delay',
      (b) => (exp(b).fault.netem = { jitter: '10ms', loss: 5 }),
      'experiments[0].fault.netem.jitter',
    ],
    ['loss above 100 %', (b) => (exp(b).fault.netem = { loss: 150 }), 'experiments[0].fault.netem.loss'],
    ['corrupt negative', (b) => (netem(b).corrupt = -1), 'experiments[0].fault.netem.corrupt'],
    ['rate without unit', (b) => (netem(b).rate = '100'), 'experiments[0].fault.netem.rate'],
    ['unknown distribution', (b) => (netem(b).distribution = 'gaussian'), 'experiments[0].fault.netem.distribution'],
    ['unknown netem option', (b) => (netem(b).dealy = '5ms'), 'experiments[0].fault.netem.dealy'],
    [
      'target with two selectors',
      (b) => (exp(b).fault.target = { container: 'a', labels: { app: 'b' } }),
      'experiments[0].fault.target',
    ],
    [
      'target selection count without count',
      (b) => (exp(b).fault.target.selection = { mode: 'count' }),
      'experiments[0].fault.target.selection.count',
    ],
    [
      'scope with a bad CIDR',
      (b) => (exp(b).fault.scope = { rules: [{ destinations: ['10.0.0.0/33'] }] }),
      'experiments[0].fault.scope.rules[0].destinations[0]',
    ],
    [
      'scope port out of range',
      (b) => (exp(b).fault.scope = { rules: [{ ports: [70000] }] }),
      'experiments[0].fault.scope.rules[0].ports[0]',
    ],
    ['unknown direction', (b) => (exp(b).fault.direction = 'sideways'), 'experiments[0].fault.direction'],
    [
      'container action unknown',
      (b) => (exp(b).fault = { kind: 'container', target: { container: 'x' }, action: 'explode' }),
      'experiments[0].fault.action',
    ],
    // calendar conflicts (422)
    [
      'inside a blackout',
      (b) =>
        (b.blackouts = [
          { name: 'freeze', timezone: 'UTC', start: '2000-01-01T00:00:00Z', end: '2099-01-01T00:00:00Z' },
        ]),
      'blackouts[0]',
      422,
    ],
    [
      'outside a participant working hours',
      (b) => {
        b.schedule.at = '2031-01-04T03:00:00Z'; // a Saturday
        b.participants = [{ name: 'amy', timezone: 'Europe/London', workingHours: { start: '09:00', end: '17:00' } }];
      },
      'participants[0].workingHours',
      422,
    ],
    [
      'recurring outside working hours',
      (b) => {
        b.schedule = { cron: '0 3 * * *', timezone: 'Europe/London' };
        b.participants = [{ name: 'amy', timezone: 'Europe/London', workingHours: { start: '09:00', end: '17:00' } }];
      },
      'participants[0].workingHours',
      422,
    ],
  ];

  it('has at least 50 cases', () => expect(cases.length).toBeGreaterThanOrEqual(50));

  it.each(cases)('%s → names %s', async (_label, mutate, field, status = 400) => {
    const body = base();
    mutate(body);
    const rowsBefore = await prisma.gameDay.count({ where: { name: { startsWith: marker } } });
    const res = await stack.http.post('/api/v1/gamedays').set(stack.admin).send(body);
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status, instance: '/api/v1/gamedays' });
    expect(typeof res.body.type).toBe('string');
    expect(typeof res.body.title).toBe('string');
    expect(typeof res.body.detail).toBe('string');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    for (const e of res.body.errors) expect(e.message.length).toBeGreaterThan(0);
    expect(await prisma.gameDay.count({ where: { name: { startsWith: marker } } })).toBe(rowsBefore);
    const counts = await queue().getJobCounts('delayed', 'waiting');
    expect(counts).toEqual({ delayed: 0, waiting: 0 });
    expect(await queue().getJobSchedulersCount()).toBe(0);
  });

  it('names every invalid field of one body at once', async () => {
    const body = base();
    body.timezone = 'nowhere';
    netem(body).delay = '500';
    probe(body).url = 'ftp://x';
    body.extra = true;
    const res = await stack.http.post('/api/v1/gamedays').set(stack.admin).send(body);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(
      expect.arrayContaining([
        'experiments[0].fault.netem.delay',
        'experiments[0].hypothesis.probes[0].url',
        'extra',
        'timezone',
      ]),
    );
  });

  it('rejects malformed JSON and oversize bodies as problems', async () => {
    const bad = await stack.http
      .post('/api/v1/gamedays')
      .set(stack.admin)
      .set('Content-Type', 'application/json')
      .send('{"name": ');
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    const big = base();
    big.description = 'x'.repeat(300 * 1024);
    const large = await stack.http.post('/api/v1/gamedays').set(stack.admin).send(big);
    expect(large.status).toBe(413);
    expect(large.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('rejects bad query parameters and ids', async () => {
    const q = await stack.http.get('/api/v1/gamedays?limit=1000&colour=red').set(stack.admin);
    expect(q.status).toBe(400);
    expect(q.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['colour', 'limit']);
    const id = await stack.http.get('/api/v1/gamedays/not-a-uuid').set(stack.admin);
    expect(id.status).toBe(400);
    expect(id.body.errors[0].field).toBe('id');
  });
});
