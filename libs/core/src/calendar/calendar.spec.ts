import type { BlackoutSpec, ParticipantSpec, ScheduleSpec } from '../spec/gameday.schema';
import {
  findBlackout,
  missedRunDecision,
  nextOccurrences,
  occurrenceProblems,
  runDurationMs,
  unavailableParticipants,
} from './calendar';
import { ARMING_LEAD } from '../run/arming-lead';

const t = (iso: string) => Date.parse(iso);
const isoList = (ms: number[]) => ms.map((m) => new Date(m).toISOString());
const policy = { mode: 'run_late' as const, deadline: '15m' };
const cron = (expr: string, timezone: string, extra: Partial<ScheduleSpec> = {}): ScheduleSpec =>
  ({ cron: expr, timezone, missedRunPolicy: policy, ...extra }) as ScheduleSpec;

describe('nextOccurrences', () => {
  it.each<[string, ScheduleSpec, string, number, string[]]>([
    [
      'one-shot in the future',
      { at: '2030-01-01T10:00:00.000Z', missedRunPolicy: policy },
      '2029-12-31T00:00:00Z',
      3,
      ['2030-01-01T10:00:00.000Z'],
    ],
    [
      'one-shot in the past',
      { at: '2030-01-01T10:00:00.000Z', missedRunPolicy: policy },
      '2030-01-01T10:00:00.001Z',
      1,
      [],
    ],
    [
      'one-shot exactly now',
      { at: '2030-01-01T10:00:00.000Z', missedRunPolicy: policy },
      '2030-01-01T10:00:00.000Z',
      1,
      ['2030-01-01T10:00:00.000Z'],
    ],
    [
      'Mondays 10:00 Sydney (AEDT, UTC+11)',
      cron('0 10 * * MON', 'Australia/Sydney'),
      '2026-11-24T20:46:00Z',
      2,
      ['2026-11-29T23:00:00.000Z', '2026-12-06T23:00:00.000Z'],
    ],
    [
      'Sydney across DST start (Oct 4 2026)',
      cron('0 10 * * MON', 'Australia/Sydney'),
      '2026-09-27T00:00:00Z',
      2,
      ['2026-09-28T00:00:00.000Z', '2026-10-04T23:00:00.000Z'],
    ],
    [
      'Paris 09:00 across DST end (Oct 25 2026)',
      cron('0 9 * * *', 'Europe/Paris'),
      '2026-10-24T00:00:00Z',
      2,
      ['2026-10-24T07:00:00.000Z', '2026-10-25T08:00:00.000Z'],
    ],
    [
      'New York 09:00 across DST start (Mar 8 2026)',
      cron('0 9 * * *', 'America/New_York'),
      '2026-03-07T00:00:00Z',
      2,
      ['2026-03-07T14:00:00.000Z', '2026-03-08T13:00:00.000Z'],
    ],
    [
      '6-field seconds pattern',
      cron('*/2 * * * * *', 'Asia/Kolkata'),
      '2030-01-01T00:00:00.500Z',
      3,
      ['2030-01-01T00:00:02.000Z', '2030-01-01T00:00:04.000Z', '2030-01-01T00:00:06.000Z'],
    ],
    [
      'includes an occurrence exactly at from',
      cron('0 * * * *', 'UTC'),
      '2030-01-01T05:00:00.000Z',
      1,
      ['2030-01-01T05:00:00.000Z'],
    ],
    [
      'startsAt in the future',
      cron('0 12 * * *', 'UTC', { startsAt: '2030-06-01T00:00:00Z' }),
      '2030-01-01T00:00:00Z',
      1,
      ['2030-06-01T12:00:00.000Z'],
    ],
    [
      'endsAt stops the series',
      cron('0 12 * * *', 'UTC', { endsAt: '2030-01-02T13:00:00Z' }),
      '2030-01-01T00:00:00Z',
      5,
      ['2030-01-01T12:00:00.000Z', '2030-01-02T12:00:00.000Z'],
    ],
  ])('%s', (_label, schedule, from, count, expected) => {
    expect(isoList(nextOccurrences(schedule, t(from), count))).toEqual(expected);
  });
});

const experiment = (baseline: string, fault: string, recovery: string) => ({
  durations: { baseline, fault, recovery },
});

describe('runDurationMs', () => {
  it('sums every experiment, its arming included', () => {
    const armed = { durations: { arming: '20s', baseline: '30s', fault: '2m', recovery: '30s' } };
    expect(runDurationMs({ experiments: [armed, experiment('1s', '1s', '1s')] as never }, 5_000)).toBe(208_000);
  });

  it('counts the longest learned arming lead where an experiment gives no arming (known only when the run starts)', () => {
    expect(runDurationMs({ experiments: [experiment('30s', '2m', '30s')] as never })).toBe(180_000 + ARMING_LEAD.capMs);
  });
});

describe('findBlackout', () => {
  const friday: BlackoutSpec = {
    name: 'friday',
    timezone: 'Europe/Paris',
    weekly: { days: ['fri'], start: '16:00', end: '24:00' },
  };
  const xmas: BlackoutSpec = {
    name: 'xmas',
    timezone: 'Europe/Paris',
    start: '2030-12-24T00:00',
    end: '2030-12-27T00:00',
  };
  const fridaysInJune: BlackoutSpec = {
    timezone: 'UTC',
    start: '2030-06-01T00:00:00Z',
    end: '2030-07-01T00:00:00Z',
    weekly: { days: ['fri'], start: '00:00', end: '24:00' },
  };
  const hour = 3_600_000;
  it.each<[string, BlackoutSpec[], string, number, string | null]>([
    // 2030-01-04 is a Friday; Paris is UTC+1 in winter
    ['run ends inside a weekly window', [friday], '2030-01-04T14:30:00Z', hour, 'friday'],
    ['run ends before the weekly window', [friday], '2030-01-04T13:00:00Z', hour, null],
    ['run on another day', [friday], '2030-01-03T15:30:00Z', hour, null],
    ['summer time shifts the window (UTC+2)', [friday], '2030-06-07T14:30:00Z', hour, 'friday'],
    ['summer time: 13:30Z ends at 16:30 local', [friday], '2030-06-07T13:30:00Z', hour, 'friday'],
    ['summer time: ending exactly at 16:00 local does not touch it', [friday], '2030-06-07T12:00:00Z', 2 * hour, null],
    ['absolute window in local time', [xmas], '2030-12-23T23:30:00Z', 10 * 60_000, 'xmas'],
    ['just before the absolute window (local midnight = 23:00Z)', [xmas], '2030-12-23T22:00:00Z', hour, null],
    ['weekly inside absolute bounds', [fridaysInJune], '2030-06-14T10:00:00Z', hour, 'blackouts[0]'],
    ['weekly outside absolute bounds', [fridaysInJune], '2030-07-05T10:00:00Z', hour, null],
    ['no blackouts', [], '2030-06-14T10:00:00Z', hour, null],
  ])('%s', (_label, blackouts, start, duration, expected) => {
    const hit = findBlackout(blackouts, { start: t(start), end: t(start) + duration });
    expect(hit === null ? null : (hit.blackout.name ?? `blackouts[${hit.index}]`)).toBe(expected);
  });
});

describe('unavailableParticipants', () => {
  const tokyo: ParticipantSpec = {
    name: 'kenji',
    timezone: 'Asia/Tokyo',
    workingHours: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '18:00' },
  };
  const london: ParticipantSpec = {
    name: 'amy',
    timezone: 'Europe/London',
    workingHours: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' },
  };
  const anytime: ParticipantSpec = { name: 'ops', timezone: 'UTC' };
  const min = 60_000;
  it.each<[string, ParticipantSpec[], string, number, string[]]>([
    ['Tuesday 10:00 in Tokyo', [tokyo], '2030-01-01T01:00:00Z', 3 * min, []],
    ['Tuesday 19:00 in Tokyo', [tokyo], '2030-01-01T10:00:00Z', 3 * min, ['kenji']],
    ['run runs past the end of the day', [tokyo], '2030-01-01T08:50:00Z', 20 * min, ['kenji']],
    ['Saturday', [tokyo], '2030-01-05T01:00:00Z', 3 * min, ['kenji']],
    ['08:30Z is 09:30 BST after DST start (Mon Mar 30 2026)', [london], '2026-03-30T08:30:00Z', 10 * min, []],
    ['08:30Z is 08:30 GMT before DST start (Fri Mar 27 2026)', [london], '2026-03-27T08:30:00Z', 10 * min, ['amy']],
    ['both, only one available', [tokyo, london], '2030-01-07T09:30:00Z', 10 * min, ['kenji']],
    ['no working hours means always available', [anytime], '2030-01-05T03:00:00Z', 10 * min, []],
  ])('%s', (_label, participants, start, duration, expected) => {
    expect(
      unavailableParticipants(participants, { start: t(start), end: t(start) + duration }).map(
        (p) => p.participant.name,
      ),
    ).toEqual(expected);
  });

  it('explains in the participant timezone', () => {
    const [p] = unavailableParticipants([tokyo], { start: t('2030-01-01T10:00:00Z'), end: t('2030-01-01T10:03:00Z') });
    expect(p.reason).toContain('Tue 19:00');
  });
});

describe('occurrenceProblems', () => {
  it('names the blackout and the participant', () => {
    const spec = {
      experiments: [experiment('30s', '2m', '30s')] as never,
      blackouts: [{ timezone: 'UTC', start: '2030-01-01T00:00:00Z', end: '2030-01-02T00:00:00Z' }],
      participants: [
        {
          name: 'kenji',
          timezone: 'Asia/Tokyo',
          workingHours: { days: ['mon' as const], start: '09:00', end: '18:00' },
        },
      ],
    };
    expect(occurrenceProblems(spec, t('2030-01-01T10:00:00Z')).map((p) => p.field)).toEqual([
      'blackouts[0]',
      'participants[0].workingHours',
    ]);
  });
});

describe('missedRunDecision', () => {
  const at = t('2030-01-01T10:00:00Z');
  const s = 1000;
  it.each<[string, { mode: 'run_late' | 'skip'; deadline: string }, number, string]>([
    ['on time', { mode: 'skip', deadline: '1m' }, 50, 'run'],
    ['within the on-time tolerance', { mode: 'skip', deadline: '1m' }, 4 * s, 'run'],
    ['late, run_late within deadline', { mode: 'run_late', deadline: '1m' }, 30 * s, 'run_late'],
    ['late, run_late at the deadline', { mode: 'run_late', deadline: '1m' }, 60 * s, 'run_late'],
    ['late, run_late beyond deadline', { mode: 'run_late', deadline: '1m' }, 61 * s, 'skip'],
    ['late, skip policy', { mode: 'skip', deadline: '1h' }, 30 * s, 'skip'],
    ['processed early (clock skew) counts as on time', { mode: 'skip', deadline: '1m' }, -500, 'run'],
  ])('%s', (_label, p, lateBy, action) => {
    expect(missedRunDecision(p, at, at + lateBy).action).toBe(action);
  });
});
