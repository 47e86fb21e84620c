import { formatEvent, formatRunSummary } from './run-format';

describe('run formatting', () => {
  const event = {
    id: '1',
    type: 'fault.applied',
    phase: 'injecting' as const,
    experimentIndex: 0,
    plannedAt: '2030-01-01T10:00:30.000Z',
    at: '2030-01-01T10:00:30.012Z',
    message: 'applied on demo-service2-1',
    data: null,
  };

  it('prints an event with its skew against the plan', () => {
    expect(formatEvent(event)).toBe('10:00:30.012Z  fault.applied        applied on demo-service2-1 (+12 ms vs plan)');
    expect(formatEvent({ ...event, at: '2030-01-01T10:00:29.990Z' })).toMatch(/\(-10 ms vs plan\)$/);
    expect(formatEvent({ ...event, plannedAt: null })).toBe(
      '10:00:30.012Z  fault.applied        applied on demo-service2-1',
    );
  });

  it('summarises the outcome with the reason and the report command', () => {
    expect(
      formatRunSummary({ id: 'r1', status: 'aborted', verdict: 'aborted', error: null, abortReason: 'pager went off' }),
    ).toBe('run r1 aborted: aborted\nabort reason: pager went off\nreport: gameday report r1 -o report.html\n');
    expect(formatRunSummary({ id: 'r2', status: 'failed', verdict: null, error: 'boom', abortReason: null })).toBe(
      'run r2 failed: no verdict\nerror: boom\nreport: gameday report r2 -o report.html\n',
    );
  });
});
