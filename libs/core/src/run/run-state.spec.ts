import { assertTransition, canTransition, IllegalTransitionError, isTerminal, mayHoldFault } from './run-state';

describe('run state machine', () => {
  it.each([
    ['scheduled', 'arming'],
    ['arming', 'baseline'],
    ['baseline', 'injecting'],
    ['injecting', 'observing'],
    ['observing', 'rolling_back'],
    ['rolling_back', 'recovery'],
    ['recovery', 'completed'],
    ['recovery', 'arming'],
    ['observing', 'aborted'],
    ['scheduled', 'skipped'],
  ] as const)('allows %s → %s', (from, to) => expect(canTransition(from, to)).toBe(true));

  it.each([
    ['scheduled', 'injecting'],
    ['baseline', 'completed'],
    ['observing', 'cancelled'], // a fault may be active: it must be aborted (reverted), not cancelled
    ['completed', 'arming'],
    ['aborted', 'completed'],
  ] as const)('refuses %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    expect(() => assertTransition(from, to)).toThrow(IllegalTransitionError);
  });

  it('knows terminal states and fault-holding phases', () => {
    expect(isTerminal('completed')).toBe(true);
    expect(isTerminal('recovery')).toBe(false);
    expect(mayHoldFault('observing')).toBe(true);
    expect(mayHoldFault('recovery')).toBe(false);
  });
});
