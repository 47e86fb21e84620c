// The example GameDays in examples/ reproduce this demo; they must stay valid as the spec grows.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gameDaySpecSchema } from '@gameday/core';

const load = (file: string): unknown => JSON.parse(readFileSync(join(__dirname, '..', '..', 'examples', file), 'utf8'));

describe.each(['classic.gameday.json', 'classic.compose.gameday.json'])('%s', (file) => {
  const parsed = gameDaySpecSchema.safeParse(load(file));

  it('validates against the GameDay spec schema', () => {
    expect(parsed.error?.issues ?? []).toEqual([]);
  });

  it('is the classic experiment: 30s baseline, delay 500ms ±100ms on service2 for 2m, 30s recovery, load with timeout_ms=300', () => {
    const e = parsed.data!.experiments[0];
    // no arming: the run arms ahead of the baseline by the lead its engine learned
    expect(e.durations).toEqual({ baseline: '30s', fault: '2m', recovery: '30s', settle: '5s' });
    expect(e.fault).toMatchObject({
      kind: 'network',
      target: { compose: { project: 'gameday', service: 'service2' } },
      netem: { delay: '500ms', jitter: '100ms' },
    });
    expect(e.load?.url).toMatch(/:8000\/\?timeout_ms=300$/);
    // "an error within ~300 ms": HTTP 500, at most ~300 ms above the same run's own baseline
    expect(e.hypothesis.tolerances?.fault).toMatchObject({ expectedStatus: [500], maxP50AboveBaselineMs: 350 });
    expect(e.hypothesis.tolerances?.recovery).toMatchObject({ expectedStatus: [200], maxP50AboveBaselineMs: 100 });
  });
});

it('the host and compose variants differ only in where service1 is reached', () => {
  const host = JSON.stringify(load('classic.gameday.json'));
  const compose = JSON.stringify(load('classic.compose.gameday.json'));
  const normalise = (s: string): string =>
    s
      .replace(/http:\/\/(127\.0\.0\.1|service1):8000/g, 'SERVICE1')
      .replace(/"description":"The classic GameDay[^"]*"/, '');
  expect(normalise(compose)).toBe(normalise(host));
});

describe('database-unreachable.gameday.json', () => {
  const parsed = gameDaySpecSchema.safeParse(load('database-unreachable.gameday.json'));

  it('validates: a blackhole of the database service on port 5432 from service2, rejected', () => {
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(parsed.data!.experiments[0].fault).toMatchObject({
      kind: 'blackhole',
      target: { compose: { project: 'gameday', service: 'service2' } },
      action: 'reject',
      direction: 'egress',
      peers: [{ compose: { project: 'gameday', service: 'demo-db' } }],
      ports: [5432],
    });
  });
});

describe('database-pool-reset.gameday.json', () => {
  const parsed = gameDaySpecSchema.safeParse(load('database-pool-reset.gameday.json'));

  it('validates: the database port dropped from service2 and its pooled connections reset at T0', () => {
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(parsed.data!.experiments[0].fault).toMatchObject({
      kind: 'blackhole',
      target: { compose: { project: 'gameday', service: 'service2' } },
      action: 'drop',
      direction: 'egress',
      peers: [{ compose: { project: 'gameday', service: 'demo-db' } }],
      ports: [5432],
      resetEstablished: true,
    });
  });
});

describe('connection-reset.gameday.json', () => {
  const parsed = gameDaySpecSchema.safeParse(load('connection-reset.gameday.json'));

  it("validates: service2's connections to the database port reset at the window's start", () => {
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(parsed.data!.experiments[0].fault).toMatchObject({
      kind: 'reset',
      target: { compose: { project: 'gameday', service: 'service2' } },
      peers: [{ compose: { project: 'gameday', service: 'demo-db' } }],
      ports: [5432],
    });
  });
});

describe('database-backends-killed.gameday.json', () => {
  const parsed = gameDaySpecSchema.safeParse(load('database-backends-killed.gameday.json'));

  it('validates: every 10 s, SIGKILL to the postgres processes of the database service (never its PID 1)', () => {
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(parsed.data!.experiments[0].fault).toEqual({
      kind: 'process-kill',
      target: { compose: { project: 'gameday', service: 'demo-db' }, selection: { mode: 'one' } },
      process: 'postgres',
      signal: 'KILL',
      every: '10s',
    });
  });
});
