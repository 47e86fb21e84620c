import type { Run } from '@gameday/db';
import type { Principal } from '../auth/auth.decorators';
import { runDetailView, runPlan } from './run.view';

const pause = { kind: 'container', target: { container: 'a' }, action: 'pause' };
const run = (experiment: object) =>
  ({
    scheduledFor: new Date(1_000_000),
    status: 'baseline',
    armingLeadMs: 0,
    spec: {
      experiments: [
        { name: 'x', durations: { arming: '1s', baseline: '2s', fault: '9s', recovery: '1s' }, ...experiment },
      ],
    },
  }) as unknown as Pick<Run, 'scheduledFor' | 'spec' | 'status' | 'armingLeadMs'>;

describe('runPlan: the steps of an experiment on its plan', () => {
  const steps = {
    steps: [
      { name: 'a-paused', fault: pause, duration: '3s' },
      {
        name: 'a-back',
        gate: { metric: 'errorRate', atMost: 0, window: '1s', for: '0s' },
        after: 'a-paused',
        duration: '3s',
      },
      // another container: two pauses of one container are refused (one watchdog per container)
      { name: 'again', fault: { ...pause, target: { container: 'b' } }, after: 'a-back', duration: '2s' },
    ],
  };
  const injectAt = 1_000_000 + 3_000;

  it('gives each step its planned span, in spec order, gates included', () => {
    expect(runPlan(run(steps))!.experiments[0].steps).toEqual([
      { name: 'a-paused', kind: 'fault', faultKind: 'container', startAt: injectAt, endAt: injectAt + 3_000 },
      { name: 'a-back', kind: 'gate', startAt: injectAt + 3_000, endAt: injectAt + 6_000 },
      { name: 'again', kind: 'fault', faultKind: 'container', startAt: injectAt + 6_000, endAt: injectAt + 8_000 },
    ]);
  });

  it('gives none for a single fault, nor when blind mode hides the fault (its timing tells it)', () => {
    expect(runPlan(run({ fault: pause }))!.experiments[0]).not.toHaveProperty('steps');
    expect(runPlan(run(steps), true)!.experiments[0]).not.toHaveProperty('steps');
    expect(runPlan(run(steps), true)!.experiments[0].injectAt).toBe(injectAt);
  });

  it("hides them from a blind GameDay's viewer in the run's details until the reveal or the end", () => {
    const detail = (role: Principal['role'], revealedAt: Date | null, finishedAt: Date | null = null) =>
      runDetailView(
        { ...run(steps), id: 'r', result: null, error: null, finishedAt, events: [] } as unknown as Parameters<
          typeof runDetailView
        >[0],
        { tokenId: null, name: role, role },
        { mode: 'blind', revealedAt },
      ).plan!.experiments[0].steps?.map((s) => s.name);
    expect(detail('viewer', null)).toBeUndefined();
    expect(detail('viewer', new Date())).toEqual(['a-paused', 'a-back', 'again']);
    expect(detail('viewer', null, new Date())).toEqual(['a-paused', 'a-back', 'again']);
    expect(detail('operator', null)).toEqual(['a-paused', 'a-back', 'again']);
  });
});
