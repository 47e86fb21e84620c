import { fieldErrors } from './field-errors';
import { gameDaySpecSchema } from './gameday.schema';
import { experimentFaults, gatePlan, planSteps, stepPlan, type StepSpec } from './experiment-steps';

const pause = (container: string) => ({ kind: 'container', target: { container }, action: 'pause' });
const delay = (container: string) => ({ kind: 'network', target: { container }, netem: { delay: '100ms' } });

/** A GameDay of one experiment with these steps in a 60 s fault window. */
function spec(steps: unknown[], extra: Record<string, unknown> = {}) {
  return {
    name: 'steps',
    timezone: 'UTC',
    schedule: { at: '2030-01-01T10:00:00.000Z' },
    experiments: [
      {
        name: 'bad afternoon',
        hypothesis: { description: 'h', probes: [{ name: 'front', url: 'http://127.0.0.1:8000/', timeoutMs: 1000 }] },
        steps,
        durations: { baseline: '10s', fault: '60s', recovery: '10s' },
        ...extra,
      },
    ],
  };
}

function errorsOf(body: unknown) {
  const r = gameDaySpecSchema.safeParse(body);
  return r.success ? [] : fieldErrors(r.error);
}

function planOf(steps: unknown[]) {
  const r = gameDaySpecSchema.parse(spec(steps));
  return stepPlan(r.experiments[0]).map((s) => [s.name, s.offsetMs, s.durationMs]);
}

describe('experiment steps: schema', () => {
  it('accepts steps in sequence and in parallel', () => {
    expect(
      errorsOf(
        spec([
          { name: 'db-slow', fault: delay('db'), duration: '20s' },
          { name: 'cache-cut', fault: pause('cache'), after: 'db-slow', duration: '20s' },
          { name: 'neighbour', fault: pause('batch'), at: '5s', duration: '30s' },
        ]),
      ),
    ).toEqual([]);
  });

  it('refuses both `fault` and `steps`, and neither', () => {
    const both = spec([{ name: 'a', fault: pause('x') }], { fault: pause('y') });
    expect(errorsOf(both)).toEqual([
      { field: 'experiments[0].fault', message: 'give either `fault` or `steps`, exactly one' },
    ]);
    const neither = spec([]);
    delete (neither.experiments[0] as { steps?: unknown }).steps;
    expect(errorsOf(neither)).toEqual([
      { field: 'experiments[0].fault', message: 'give either `fault` or `steps`, exactly one' },
    ]);
  });

  it('refuses an empty list and more than 50 steps', () => {
    expect(errorsOf(spec([]))).toEqual([{ field: 'experiments[0].steps', message: 'at least one step' }]);
    const many = Array.from({ length: 51 }, (_, i) => ({ name: `s${i}`, fault: pause(`c${i}`), duration: '1s' }));
    expect(errorsOf(spec(many))).toEqual([{ field: 'experiments[0].steps', message: 'at most 50 steps' }]);
  });

  it('refuses an unknown `after`, naming the field', () => {
    expect(errorsOf(spec([{ name: 'a', fault: pause('x'), after: 'nope' }]))).toEqual([
      { field: 'experiments[0].steps[0].after', message: 'no step named "nope"' },
    ]);
  });

  it('refuses both `at` and `after`', () => {
    const steps = [
      { name: 'a', fault: pause('x'), duration: '10s' },
      { name: 'b', fault: pause('y'), at: '1s', after: 'a' },
    ];
    expect(errorsOf(spec(steps))).toEqual([
      { field: 'experiments[0].steps[1].after', message: 'give either `at` or `after`, not both' },
    ]);
  });

  it('refuses a cycle, naming the steps on it', () => {
    const steps = [
      { name: 'a', fault: pause('x'), after: 'c', duration: '1s' },
      { name: 'b', fault: pause('y'), after: 'a', duration: '1s' },
      { name: 'c', fault: pause('z'), after: 'b', duration: '1s' },
    ];
    expect(errorsOf(spec(steps))).toEqual([
      { field: 'experiments[0].steps[0].after', message: 'steps wait for each other in a cycle: a → c → b → a' },
    ]);
    expect(errorsOf(spec([{ name: 'self', fault: pause('x'), after: 'self' }]))).toEqual([
      { field: 'experiments[0].steps[0].after', message: 'steps wait for each other in a cycle: self → self' },
    ]);
  });

  it('refuses a step ending after the fault window, and one starting at its end', () => {
    expect(errorsOf(spec([{ name: 'a', fault: pause('x'), at: '50s', duration: '20s' }]))).toEqual([
      {
        field: 'experiments[0].steps[0].duration',
        message:
          'ends 70000 ms into the fault window, after its end (60000 ms): make it shorter or durations.fault longer',
      },
    ]);
    const chained = [
      { name: 'a', fault: pause('x'), duration: '60s' },
      { name: 'b', fault: pause('y'), after: 'a' },
    ];
    expect(errorsOf(spec(chained))).toEqual([
      {
        field: 'experiments[0].steps[1].after',
        message: 'starts 60000 ms into a 60000 ms fault window: at or after its end',
      },
    ]);
  });

  it('refuses duplicate names', () => {
    const steps = [
      { name: 'a', fault: pause('x'), duration: '1s' },
      { name: 'a', fault: pause('y'), at: '5s', duration: '1s' },
    ];
    expect(errorsOf(spec(steps))).toEqual([
      { field: 'experiments[0].steps[1].name', message: 'step name "a" is used twice' },
    ]);
  });

  it('refuses two steps of one kind on the same target at once, naming both', () => {
    const steps = [
      { name: 'first', fault: delay('db'), duration: '30s' },
      { name: 'second', fault: { ...delay('db'), netem: { delay: '300ms' } }, at: '20s', duration: '10s' },
    ];
    expect(errorsOf(spec(steps))).toEqual([
      {
        field: 'experiments[0].steps[1].fault.target',
        message:
          'steps "first" and "second" put a network fault on the same target at once (or less than 1000 ms apart): move one of them',
      },
    ]);
  });

  it("compares a partition's two groups as its selectors, naming the first group", () => {
    const cut = (b: string) => ({ kind: 'partition', between: [{ container: 'api' }, { container: b }] });
    const steps = (b: string) => [
      { name: 'first', fault: cut('db'), duration: '30s' },
      { name: 'second', fault: cut(b), at: '20s', duration: '10s' },
    ];
    expect(errorsOf(spec(steps('db'))).map((e) => e.field)).toEqual(['experiments[0].steps[1].fault.between[0]']);
    expect(errorsOf(spec(steps('cache')))).toEqual([]);
  });

  it('compares selectors as written, key order aside; other kinds and targets may overlap', () => {
    const sameSelector = [
      {
        name: 'a',
        fault: { kind: 'container', target: { container: 'db', selection: { mode: 'all' } }, action: 'pause' },
      },
      {
        name: 'b',
        fault: { action: 'pause', target: { selection: { mode: 'all' }, container: 'db' }, kind: 'container' },
      },
    ];
    expect(errorsOf(spec(sameSelector)).map((e) => e.field)).toEqual(['experiments[0].steps[1].fault.target']);
    expect(
      errorsOf(
        spec([
          { name: 'a', fault: delay('db') },
          { name: 'b', fault: pause('db') },
        ]),
      ),
    ).toEqual([]);
    expect(
      errorsOf(
        spec([
          { name: 'a', fault: pause('db') },
          { name: 'b', fault: pause('cache') },
        ]),
      ),
    ).toEqual([]);
  });

  it('wants a second apart on one target: back to back would race the revert against the next apply', () => {
    const touching = [
      { name: 'a', fault: delay('db'), duration: '10s' },
      { name: 'b', fault: delay('db'), after: 'a', duration: '10s' },
    ];
    expect(errorsOf(spec(touching)).map((e) => e.field)).toEqual(['experiments[0].steps[1].fault.target']);
    const apart = [
      { name: 'a', fault: delay('db'), duration: '10s' },
      { name: 'b', fault: delay('db'), at: '11s', duration: '10s' },
    ];
    expect(errorsOf(spec(apart))).toEqual([]);
  });

  it('refuses two pauses (stops, kills) of one container even apart: one watchdog guards a container at a time', () => {
    const apart = [
      { name: 'a', fault: pause('db'), duration: '10s' },
      { name: 'b', fault: { ...pause('db'), action: 'stop' }, at: '20s', duration: '10s' },
    ];
    expect(errorsOf(spec(apart))).toEqual([
      {
        field: 'experiments[0].steps[1].fault.target',
        message: expect.stringMatching(
          /^steps "a" and "b" put a container fault on the same target: a container pause, stop or kill is guarded by one watchdog per container/,
        ),
      },
    ]);
    // a restart has no watchdog: beside a pause, a second apart is enough
    const restart = [
      { name: 'a', fault: pause('db'), duration: '10s' },
      { name: 'b', fault: { ...pause('db'), action: 'restart' }, at: '20s', duration: '10s' },
    ];
    expect(errorsOf(spec(restart))).toEqual([]);
  });

  it("checks each step's fault against its own duration (a kind's window rule)", () => {
    const kill = {
      kind: 'process-kill',
      target: { container: 'web' },
      process: 'httpd',
      every: '20s',
    };
    const errors = errorsOf(spec([{ name: 'k', fault: kill, duration: '10s' }]));
    expect(errors.map((e) => e.field)).toEqual(['experiments[0].steps[0].fault.every']);
  });
});

describe('stepPlan', () => {
  it('places steps by offset, after another, and to the end of the window by default', () => {
    expect(
      planOf([
        { name: 'db-slow', fault: delay('db'), duration: '20s' },
        { name: 'cache-cut', fault: pause('cache'), after: 'db-slow', duration: '15s' },
        { name: 'last', fault: pause('batch'), after: 'cache-cut' },
        { name: 'neighbour', fault: pause('other'), at: '5s' },
      ]),
    ).toEqual([
      ['db-slow', 0, 20_000],
      ['cache-cut', 20_000, 15_000],
      ['last', 35_000, 25_000],
      ['neighbour', 5_000, 55_000],
    ]);
  });

  it('follows `after` declared later in the list', () => {
    expect(
      planOf([
        { name: 'b', fault: pause('y'), after: 'a', duration: '5s' },
        { name: 'a', fault: pause('x'), at: '2s', duration: '3s' },
      ]),
    ).toEqual([
      ['b', 5_000, 5_000],
      ['a', 2_000, 3_000],
    ]);
  });

  it('gives an experiment with one `fault` one unnamed step over the whole window', () => {
    const exp = { fault: pause('x') as never, durations: { fault: '2m' } };
    expect(stepPlan(exp)).toEqual([
      { name: null, fault: exp.fault, offsetMs: 0, durationMs: 120_000, path: ['fault'] },
    ]);
    expect(experimentFaults(exp)).toEqual([{ name: null, fault: exp.fault, path: ['fault'] }]);
  });

  it('throws on a plan validation refuses (a stored spec is parsed first: never in practice)', () => {
    const steps = [{ name: 'a', fault: pause('x'), after: 'a' }] as unknown as StepSpec[];
    expect(() => stepPlan({ steps, durations: { fault: '1m' } })).toThrow(/cycle/);
    expect(planSteps({ steps, durations: { fault: '1m' } }).plan).toEqual([]);
  });
});

describe('gate steps', () => {
  const back = { metric: 'errorRate', atMost: 0.01 };

  it('places a gate like a step; a step after it starts at its end; it is no fault', () => {
    const parsed = gameDaySpecSchema.parse(
      spec([
        { name: 'db-slow', fault: delay('db'), duration: '20s' },
        { name: 'recovered', gate: back, after: 'db-slow', duration: '10s' },
        // on the same target as db-slow, but after the gate: no overlap
        { name: 'db-slow-again', fault: delay('db'), after: 'recovered', duration: '20s' },
      ]),
    );
    const exp = parsed.experiments[0];
    expect(stepPlan(exp).map((s) => [s.name, s.offsetMs, s.durationMs])).toEqual([
      ['db-slow', 0, 20_000],
      ['db-slow-again', 30_000, 20_000],
    ]);
    expect(gatePlan(exp)).toEqual([
      {
        name: 'recovered',
        gate: { ...back, window: '10s', for: '0s' },
        offsetMs: 20_000,
        durationMs: 10_000,
        path: ['steps', 1, 'gate'],
      },
    ]);
    expect(experimentFaults(exp).map((f) => f.name)).toEqual(['db-slow', 'db-slow-again']);
  });

  it('refuses a step that is both or neither, a gate with both bounds or neither, naming the field', () => {
    expect(errorsOf(spec([{ name: 'x', fault: pause('a'), gate: back }]))).toEqual([
      {
        field: 'experiments[0].steps[0].fault',
        message: 'a step is a fault or a gate: give `fault` or `gate`, exactly one',
      },
    ]);
    expect(errorsOf(spec([{ name: 'x', duration: '5s' }]))).toEqual([
      {
        field: 'experiments[0].steps[0].fault',
        message: 'a step is a fault or a gate: give `fault` or `gate`, exactly one',
      },
    ]);
    expect(errorsOf(spec([{ name: 'x', gate: { metric: 'p95Ms', atMost: 200, atLeast: 100 } }]))).toEqual([
      { field: 'experiments[0].steps[0].gate.atMost', message: 'give either `atMost` or `atLeast`, exactly one' },
    ]);
    expect(errorsOf(spec([{ name: 'x', gate: { metric: 'errorRate', atLeast: 2 } }]))).toEqual([
      { field: 'experiments[0].steps[0].gate.atLeast', message: 'an errorRate bound is a ratio between 0 and 1' },
    ]);
  });

  it('refuses an unknown probe and a gate too short to tell the steps after it in time', () => {
    expect(errorsOf(spec([{ name: 'x', gate: { ...back, probe: 'nope' } }]))).toEqual([
      { field: 'experiments[0].steps[0].gate.probe', message: 'no probe named "nope"' },
    ]);
    const short = errorsOf(spec([{ name: 'x', gate: back, duration: '1s' }]));
    expect(short).toEqual([
      expect.objectContaining({
        field: 'experiments[0].steps[0].duration',
        message: expect.stringMatching(/^a gate needs at least 2000 ms/),
      }),
    ]);
  });
});
