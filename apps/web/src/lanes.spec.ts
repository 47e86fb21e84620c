import type { RunDetail, RunEvent } from './api';
import { barOf, eventStep, offset, outcomeText, skew, stepLanes, stepMarks } from './lanes';

const T0 = 1_000_000;
const steps = [
  { name: 'a-paused', kind: 'fault' as const, faultKind: 'container', startAt: T0, endAt: T0 + 3_000 },
  { name: 'a-back', kind: 'gate' as const, startAt: T0 + 3_000, endAt: T0 + 6_000 },
  { name: 'again', kind: 'fault' as const, faultKind: 'container', startAt: T0 + 6_000, endAt: T0 + 8_000 },
];
const plan = {
  startAt: T0 - 3_000,
  endAt: T0 + 10_000,
  armingLeadMs: 0,
  experiments: [
    {
      index: 0,
      armAt: T0 - 3_000,
      arming: 'spec' as const,
      baselineAt: T0 - 3_000,
      injectAt: T0,
      revertAt: T0 + 9_000,
      endAt: T0 + 10_000,
      steps,
    },
  ],
};
let id = 0;
const ev = (type: string, atMs: number, data: object, extra: Partial<RunEvent> = {}): RunEvent => ({
  id: String(++id),
  type,
  at: new Date(atMs).toISOString(),
  plannedAt: null,
  experimentIndex: 0,
  phase: null,
  message: '',
  data,
  ...extra,
});
const run = (events: RunEvent[], result: unknown = null) => ({ plan, events, result }) as unknown as RunDetail;
const applied = (step: string, atMs: number, planned: number) =>
  ev('fault.applied', atMs, { step }, { plannedAt: new Date(planned).toISOString() });
const reverted = (step: string, atMs: number, planned: number) =>
  ev('fault.reverted', atMs, { step }, { plannedAt: new Date(planned).toISOString() });
const armed = (step: string) => ev('fault.armed', T0 - 2_000, { step });

describe('step lanes', () => {
  it('are none for a run without steps or without a plan', () => {
    const single = { ...plan, experiments: [{ ...plan.experiments[0], steps: undefined }] };
    expect(stepLanes({ plan: single, events: [], result: null } as unknown as RunDetail, T0, false)).toEqual([]);
    expect(stepLanes({ plan: null, events: [], result: null } as unknown as RunDetail, T0, false)).toEqual([]);
  });

  it('show every step planned before anything fires, in spec order, on the fault window', () => {
    const [e] = stepLanes(run([armed('a-paused'), armed('again')]), T0 - 1_000, false);
    expect([e.windowStart, e.windowEnd]).toEqual([T0, T0 + 9_000]);
    expect(e.lanes.map((l) => [l.name, l.kind, l.outcome, l.actualStart])).toEqual([
      ['a-paused', 'fault', 'planned', null],
      ['a-back', 'gate', 'planned', null],
      ['again', 'fault', 'planned', null],
    ]);
  });

  it('follow the events live: a step in place with its skew, out with its own, a gate open then passed', () => {
    const events = [armed('a-paused'), armed('again'), applied('a-paused', T0 + 12, T0)];
    let [e] = stepLanes(run(events), T0 + 500, false);
    expect(e.lanes[0]).toMatchObject({ outcome: 'in_place', actualStart: T0 + 12, startSkewMs: 12, actualEnd: null });
    expect(e.lanes[1].outcome).toBe('planned');
    events.push(reverted('a-paused', T0 + 3_040, T0 + 3_000));
    [e] = stepLanes(run(events), T0 + 3_500, false);
    expect(e.lanes[0]).toMatchObject({ outcome: 'completed', actualEnd: T0 + 3_040, endSkewMs: 40 });
    expect(e.lanes[1]).toMatchObject({ outcome: 'open', actualStart: T0 + 3_000 });
    events.push(ev('gate.passed', T0 + 4_400, { gate: 'a-back', actual: 0, afterMs: 1_300 }));
    [e] = stepLanes(run(events), T0 + 4_500, false);
    expect(e.lanes[1]).toMatchObject({ outcome: 'passed', actualEnd: T0 + 4_300, passedAfterMs: 1_300 });
    expect(outcomeText(e.lanes[1])).toBe('passed at +1300 ms (0)');
  });

  it('waits for every target of a step before calling it in place', () => {
    const events = [armed('a-paused'), armed('a-paused'), applied('a-paused', T0 + 5, T0)];
    expect(stepLanes(run(events), T0 + 100, false)[0].lanes[0].outcome).toBe('planned');
    events.push(applied('a-paused', T0 + 30, T0));
    expect(stepLanes(run(events), T0 + 100, false)[0].lanes[0]).toMatchObject({
      outcome: 'in_place',
      actualStart: T0 + 30,
      startSkewMs: 30,
    });
  });

  it('after a gate not met: the step in place aborted at the abort, the gate failed, the next step not begun', () => {
    const events = [
      armed('a-paused'),
      armed('again'),
      applied('a-paused', T0 + 10, T0),
      ev('run.abort', T0 + 5_100, { trigger: 'gate' }, { message: 'gate "a-back": errorRate at most 0 not met' }),
    ];
    const [e] = stepLanes(run(events), T0 + 5_200, false);
    // no revert event of its own came: the abort took it out
    expect(e.lanes.map((l) => [l.name, l.outcome, l.actualEnd])).toEqual([
      ['a-paused', 'aborted', T0 + 5_100],
      ['a-back', 'failed', null],
      ['again', 'not_begun', null],
    ]);
    expect(outcomeText(e.lanes[1])).toMatch(/^failed/);
  });

  it("take the result's figures once the run ended", () => {
    const result = {
      experiments: [
        {
          index: 0,
          steps: [
            {
              name: 'a-paused',
              appliedAt: T0 + 9,
              revertedAt: T0 + 3_020,
              injectionSkewMs: 9,
              revertSkewMs: 20,
              outcome: 'completed',
            },
            {
              name: 'again',
              appliedAt: null,
              revertedAt: null,
              injectionSkewMs: null,
              revertSkewMs: null,
              outcome: 'not_begun',
            },
          ],
          gates: [
            {
              name: 'a-back',
              condition: 'errorRate at most 0 over 1s',
              passedAt: null,
              actual: 0.5,
              outcome: 'aborted',
            },
          ],
        },
      ],
    };
    const [e] = stepLanes(run([], result), T0 + 20_000, true);
    expect(e.lanes.map((l) => [l.name, l.outcome, l.actualStart, l.actualEnd, l.startSkewMs, l.endSkewMs])).toEqual([
      ['a-paused', 'completed', T0 + 9, T0 + 3_020, 9, 20],
      ['a-back', 'aborted', T0 + 3_000, null, null, null],
      ['again', 'not_begun', null, null, null, null],
    ]);
    expect(e.lanes[1].condition).toBe('errorRate at most 0 over 1s');
  });

  it('mark the actual starts and ends of the steps, and the gates passed, for the latency chart', () => {
    const events = [
      applied('a-paused', T0 + 12, T0),
      reverted('a-paused', T0 + 3_040, T0 + 3_000),
      ev('gate.passed', T0 + 4_400, { gate: 'a-back', actual: 0, afterMs: 1_300 }),
      applied('again', T0 + 6_020, T0 + 6_000),
    ];
    expect(stepMarks(stepLanes(run(events), T0 + 6_500, false))).toEqual([
      { at: T0 + 12, label: 'a-paused ▶', edge: 'start' },
      { at: T0 + 3_040, label: 'a-paused ■', edge: 'end' },
      { at: T0 + 4_300, label: 'a-back passed', edge: 'passed' },
      { at: T0 + 6_020, label: 'again ▶', edge: 'start' },
    ]);
  });

  it('place spans on the window in percent, clamped, and say offsets and skews in words', () => {
    expect(barOf(T0 + 3_000, T0 + 6_000, T0, T0 + 10_000)).toEqual({ left: 30, width: 30 });
    expect(barOf(T0 - 500, T0 + 20_000, T0, T0 + 10_000)).toEqual({ left: 0, width: 100 });
    expect(barOf(null, null, T0, T0 + 10_000)).toBeNull();
    expect(barOf(T0 + 1_000, null, T0, T0 + 10_000)).toEqual({ left: 10, width: 0.5 });
    expect(offset(T0 + 3_040, T0)).toBe('+3.0 s');
    expect(skew(12)).toBe('12 ms late');
    expect(skew(-3)).toBe('3 ms early');
    expect(skew(null)).toBe('');
  });

  it("name the step or gate of a timeline event, none for the run's own events or hidden details", () => {
    expect(eventStep(applied('a-paused', T0, T0))).toBe('a-paused');
    expect(eventStep(ev('gate.passed', T0, { gate: 'a-back', afterMs: 1 }))).toBe('a-back');
    expect(eventStep(ev('fault.armed', T0, { step: null }))).toBeNull();
    expect(eventStep(ev('phase.injecting', T0, {}))).toBeNull();
    expect(eventStep({ ...ev('fault.applied', T0, {}), data: null })).toBeNull();
  });
});
