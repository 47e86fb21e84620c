import { jobIds } from './queues';
import { occurrenceOf } from './schedule-sync';

describe('occurrenceOf', () => {
  const data = { gameDayId: '00000000-0000-4000-8000-000000000001', version: 1 };
  it.each([
    [
      'a one-shot carries its instant',
      { data: { ...data, scheduledFor: '2030-01-01T10:00:00.000Z' }, opts: {}, timestamp: 0 },
      '2030-01-01T10:00:00.000Z',
    ],
    [
      'a scheduler job carries it in prevMillis',
      { data, opts: { prevMillis: Date.parse('2030-01-01T10:00:02.000Z') }, timestamp: 0 },
      '2030-01-01T10:00:02.000Z',
    ],
    [
      'or in its id',
      { id: `repeat:cron-x:${Date.parse('2030-01-01T10:00:04.000Z')}`, data, opts: {}, timestamp: 0 },
      '2030-01-01T10:00:04.000Z',
    ],
    [
      'else timestamp + delay',
      { data, opts: {}, timestamp: Date.parse('2030-01-01T10:00:00.000Z'), delay: 6000 },
      '2030-01-01T10:00:06.000Z',
    ],
  ])('%s', (_label, job, expected) => {
    expect(occurrenceOf(job).toISOString()).toBe(expected);
  });
});

describe('jobIds', () => {
  it('are deterministic and free of ":" (BullMQ refuses custom ids with ":")', () => {
    const id = '00000000-0000-4000-8000-000000000001';
    for (const make of [jobIds.oneShot, jobIds.scheduler, jobIds.launch]) {
      expect(make(id)).toBe(make(id));
      expect(make(id)).not.toContain(':');
    }
  });

  it('give back the GameDay of a fire job: a one-shot, and a scheduler occurrence as BullMQ names it', () => {
    const id = '0f0e0d0c-0000-4000-8000-000000000001';
    expect(jobIds.gameDayOfFire(jobIds.oneShot(id))).toBe(id);
    expect(jobIds.gameDayOfFire(`repeat:${jobIds.scheduler(id)}:1796633752000`)).toBe(id);
    for (const other of [jobIds.launch(id), jobIds.scheduler(id), `at-${id}x`, `repeat:at-${id}:1`, 'at-../../x'])
      expect(jobIds.gameDayOfFire(other)).toBeNull();
  });
});
