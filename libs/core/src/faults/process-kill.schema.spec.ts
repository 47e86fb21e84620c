import { gameDaySpecSchema } from '../spec/gameday.schema';
import { faultSchema } from './fault.schema';
import { processKillPlan, type ProcessKillFaultSpec } from './process-kill.schema';

const base = { kind: 'process-kill', target: { container: 'svc' } };
function issues(input: unknown): string[] {
  const r = faultSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('process-kill spec', () => {
  it('fills the defaults: KILL, once', () => {
    expect(faultSchema.parse({ ...base, process: 'nginx' })).toEqual({
      kind: 'process-kill',
      target: { container: 'svc', selection: { mode: 'one' } },
      process: 'nginx',
      signal: 'KILL',
    });
  });

  it.each([
    ['a plain name', { process: 'sleep' }],
    ['15 characters (all /proc/PID/comm holds)', { process: 'gunicorn-worker' }],
    ['digits, dots, colons', { process: 'python3.11' }],
    ['php-fpm', { process: 'php-fpm', signal: 'QUIT' }],
    ['every second', { process: 'worker', every: '1s', signal: 'TERM' }],
    ['every 90 s', { process: 'worker', every: '1m30s' }],
  ])('accepts %s', (_what, extra) => {
    expect(issues({ ...base, ...extra })).toEqual([]);
  });

  it.each([
    ['no process', {}, 'process: '],
    ['an empty name', { process: '' }, 'process: process must not be empty'],
    [
      '16 characters',
      { process: 'gunicorn-workers' },
      'process: process is compared with /proc/PID/comm, which holds at most 15',
    ],
    ['a path', { process: '/usr/bin/node' }, 'process: process is a process name'],
    ['a slash', { process: 'kworker/0:1' }, 'process: process is a process name'],
    ['a shell string', { process: 'x;reboot' }, 'process: process is a process name'],
    ['a command substitution', { process: '$(reboot)' }, 'process: process is a process name'],
    ['a space', { process: 'php fpm' }, 'process: process is a process name'],
    ['a newline', { process: 'a\nb' }, 'process: process is a process name'],
    ['a NUL', { process: 'a\u0000b' }, 'process: process is a process name'],
    ['a tab', { process: 'a\tb' }, 'process: process is a process name'],
    ['an option', { process: '-9' }, 'process: process is a process name'],
    ['a glob', { process: 'ngin*' }, 'process: process is a process name'],
    ['a number', { process: 42 }, 'process: '],
    [
      'an unknown signal',
      { process: 'x', signal: 'STOP' },
      'signal: signal must be one of KILL, TERM, INT, HUP, QUIT, USR1, USR2',
    ],
    ['a signal with its prefix', { process: 'x', signal: 'SIGKILL' }, 'signal: signal must be one of'],
    ['a signal number', { process: 'x', signal: 9 }, 'signal: signal must be one of'],
    ['every below 1 s', { process: 'x', every: '500ms' }, 'every: must be at least 1s'],
    ['every as a bare number', { process: 'x', every: 5 }, 'every: '],
    ['every without a unit', { process: 'x', every: '5' }, 'every: "5" is not a duration'],
    ['every over an hour', { process: 'x', every: '2h' }, 'every: must be at most 1h'],
    ['a pattern field (not supported)', { process: 'x', pattern: 'x.*' }, ': Unrecognized key: "pattern"'],
  ])('refuses %s, naming the field', (_what, extra, message) => {
    const found = issues({ ...base, ...extra });
    expect(found.length).toBeGreaterThan(0);
    expect(found.join('\n')).toContain(message);
  });

  it('compiles the plan the helper is handed', () => {
    const spec = faultSchema.parse({
      ...base,
      process: 'worker',
      every: '2.5s',
      signal: 'TERM',
    }) as ProcessKillFaultSpec;
    expect(processKillPlan(spec)).toEqual({ process: 'worker', signal: 'TERM', everyMs: 2500 });
    const once = faultSchema.parse({ ...base, process: 'worker' }) as ProcessKillFaultSpec;
    expect(processKillPlan(once)).toEqual({ process: 'worker', signal: 'KILL', everyMs: 0 });
  });
});

describe('process-kill in an experiment: every must fit in the fault window', () => {
  const gameDay = (fault: Record<string, unknown>, window: string) => ({
    name: 'kills',
    timezone: 'UTC',
    schedule: { at: '2030-01-01T10:00:00.000Z' },
    experiments: [
      {
        name: 'kill the workers',
        hypothesis: {
          description: 'the pool respawns them',
          probes: [{ name: 'front', url: 'http://127.0.0.1:8000/', timeoutMs: 1000 }],
        },
        fault: { ...base, process: 'worker', ...fault },
        durations: { baseline: '10s', fault: window, recovery: '10s' },
      },
    ],
  });
  const gameDayIssues = (input: unknown) => {
    const r = gameDaySpecSchema.safeParse(input);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('accepts a repetition shorter than the window, and none', () => {
    expect(gameDayIssues(gameDay({ every: '5s' }, '30s'))).toEqual([]);
    expect(gameDayIssues(gameDay({}, '30s'))).toEqual([]);
  });

  it.each([
    ['as long as the window', '30s'],
    ['longer than the window', '1m'],
  ])('refuses every %s, at experiments.0.fault.every', (_what, every) => {
    expect(gameDayIssues(gameDay({ every }, '30s'))).toEqual([
      `experiments.0.fault.every: every (${every}) must be shorter than the fault window (durations.fault): it would never signal a second time; leave it out to signal once at T0`,
    ]);
  });
});
