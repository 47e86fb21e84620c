import { foldSkip, readSkipStreak, skipStreakRecord, skipStreakSummary, type SkipStreak } from './skip-streak';

const T = Date.parse('2030-01-07T10:00:00Z');
const streak: SkipStreak = { key: 'blackout:freeze', gameDayVersion: 2, first: T, last: T + 4000, occurrences: 5 };

describe('skip streaks', () => {
  it.each<[string, SkipStreak | null, { key: string; gameDayVersion: number; at: number }, string]>([
    ['no skipped run before it', null, { key: 'blackout:freeze', gameDayVersion: 2, at: T }, 'new'],
    ['the next occurrence, same cause', streak, { key: 'blackout:freeze', gameDayVersion: 2, at: T + 5000 }, 'fold'],
    ['a later one, same cause (an hour of no firing between)', streak, { ...streak, at: T + 3600_000 }, 'fold'],
    ['another cause', streak, { key: 'safety_lever:x', gameDayVersion: 2, at: T + 5000 }, 'new'],
    ['another blackout window', streak, { key: 'blackout:next-day', gameDayVersion: 2, at: T + 5000 }, 'new'],
    ['an edited GameDay', streak, { key: 'blackout:freeze', gameDayVersion: 3, at: T + 5000 }, 'new'],
    ['an occurrence already counted (a second worker)', streak, { ...streak, at: T + 2000 }, 'duplicate'],
    ['the last one again', streak, { ...streak, at: T + 4000 }, 'duplicate'],
    ['the first one again, whatever the cause', streak, { key: 'missed', gameDayVersion: 2, at: T }, 'duplicate'],
    ['one before the streak', streak, { ...streak, at: T - 1000 }, 'new'],
  ])('%s → %s', (_label, previous, next, expected) => {
    expect(foldSkip(previous, next)).toBe(expected);
  });

  it('reads back what it stores; rows from before streaks start none', () => {
    const run = { status: 'skipped', gameDayVersion: 2, scheduledFor: new Date(T) };
    const data = { reason: 'blackout', lateMs: 3, streak: skipStreakRecord(streak) };
    expect(readSkipStreak(run, JSON.parse(JSON.stringify(data)))).toEqual(streak);
    expect(readSkipStreak(run, { reason: 'blackout', lateMs: 3 })).toBeNull();
    expect(readSkipStreak(run, null)).toBeNull();
    expect(readSkipStreak({ ...run, status: 'arming' }, data)).toBeNull();
  });

  it('says how many occurrences a row stands for once there is more than one', () => {
    expect(skipStreakSummary('occurrence falls in blackout "freeze"', { ...streak, occurrences: 1 })).toBe(
      'occurrence falls in blackout "freeze"',
    );
    expect(skipStreakSummary('occurrence falls in blackout "freeze"', streak)).toBe(
      'occurrence falls in blackout "freeze" (5 consecutive occurrences skipped, the last at 2030-01-07T10:00:04.000Z)',
    );
  });
});
