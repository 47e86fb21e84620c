import {
  TemplateError,
  instantiateTemplate,
  loadTemplate,
  parseTemplateValue,
  type GameDayTemplate,
} from './gameday-template';

const experiment = {
  name: 'e',
  hypothesis: { description: 'd', probes: [{ name: 'p', url: { $param: 'probeUrl' }, timeoutMs: 500 }] },
  fault: {
    kind: 'container',
    target: { compose: { project: 'demo', service: { $param: 'target' } } },
    action: 'pause',
  },
  durations: { baseline: '1s', fault: { $param: 'duration' }, recovery: '2s' },
};

const raw = {
  name: 'tiny',
  title: 'Tiny',
  description: 'a pause',
  parameters: [
    { name: 'target', description: 'service', type: 'string', default: 'api' },
    { name: 'duration', description: 'window', type: 'duration', default: '1m' },
    { name: 'probeUrl', description: 'probe', type: 'url', default: 'http://127.0.0.1:8000/' },
    { name: 'port', description: 'unused in the spec but typed', type: 'integer', default: 80 },
  ],
  body: {
    name: 'Tiny',
    timezone: 'UTC',
    schedule: { at: '2030-01-01T10:00:00Z' },
    experiments: [experiment],
    webhooks: [{ url: 'http://127.0.0.1:9/', events: ['run.started'] }],
    description: { $param: 'port' }, // a number where a string belongs: the spec says so
  },
};

function problems(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    if (error instanceof TemplateError) return error.problems;
    throw error;
  }
  throw new Error('expected a TemplateError');
}

describe('loadTemplate', () => {
  it('refuses a placeholder that names no parameter, and a parameter never used', () => {
    expect(() => loadTemplate({ ...raw, parameters: raw.parameters.filter((p) => p.name !== 'target') })).toThrow(
      /placeholder "target" is not a declared parameter/,
    );
    expect(() =>
      loadTemplate({ ...raw, parameters: [...raw.parameters, { name: 'extra', description: 'x', type: 'string' }] }),
    ).toThrow(/parameter "extra" is never used/);
  });

  it('refuses a default its own type refuses, and duplicate names', () => {
    const bad = raw.parameters.map((p) => (p.name === 'duration' ? { ...p, default: 'soon' } : p));
    expect(() => loadTemplate({ ...raw, parameters: bad })).toThrow(/"duration" default: "soon" is not a duration/);
    expect(() => loadTemplate({ ...raw, parameters: [...raw.parameters, raw.parameters[0]] })).toThrow(
      /declared twice/,
    );
  });
});

describe('instantiateTemplate', () => {
  const valid: GameDayTemplate = loadTemplate({
    ...raw,
    parameters: raw.parameters.map((p) => (p.name === 'port' ? { ...p, type: 'string', default: 'about' } : p)),
  });

  it('puts each typed value where its placeholder is, and leaves the rest as written', () => {
    const spec = instantiateTemplate(valid, { target: 'db', duration: '30s' });
    expect(spec.experiments[0].fault).toEqual({
      kind: 'container',
      target: { compose: { project: 'demo', service: 'db' } },
      action: 'pause',
    });
    expect(spec.experiments[0].durations.fault).toBe('30s');
    expect(spec.experiments[0].hypothesis.probes[0]).toMatchObject({ url: 'http://127.0.0.1:8000/' });
    expect(spec.description).toBe('about');
    // the template itself is untouched
    expect((valid.body.experiments as (typeof experiment)[])[0].fault.target.compose.service).toEqual({
      $param: 'target',
    });
  });

  it('substitutes values, never text: quotes and braces stay inside their string', () => {
    const p = problems(() => instantiateTemplate(valid, { target: 'db", "action": "kill' }));
    expect(p).toEqual([
      {
        parameter: 'target',
        message: expect.stringMatching(/Compose service name.*\(at experiments\.0\.fault\.target\.compose\.service\)/),
      },
    ]);
  });

  it('names the unknown parameter and lists the known ones', () => {
    expect(problems(() => instantiateTemplate(valid, { taget: 'db' }))).toEqual([
      {
        parameter: 'taget',
        message: 'template tiny has no parameter "taget" (it has: target, duration, probeUrl, port)',
      },
    ]);
  });

  it('names the parameter whose value has the wrong type', () => {
    expect(problems(() => instantiateTemplate(valid, { duration: 'forever', probeUrl: 'ftp://x' }))).toEqual([
      { parameter: 'duration', message: expect.stringContaining('"forever" is not a duration') },
      { parameter: 'probeUrl', message: expect.any(String) },
    ]);
    expect(problems(() => instantiateTemplate(valid, { duration: 30 }))[0]).toMatchObject({ parameter: 'duration' });
  });

  it('maps an issue the spec schema finds inside a substituted value back to its parameter', () => {
    // valid as a duration, but longer than the schema allows for a fault window
    expect(problems(() => instantiateTemplate(valid, { duration: '5h' }))).toEqual([
      { parameter: 'duration', message: 'must be at most 4h (at experiments.0.durations.fault)' },
    ]);
    // a number where the spec wants a string
    const numeric = loadTemplate(raw);
    expect(problems(() => instantiateTemplate(numeric))).toEqual([
      { parameter: 'port', message: expect.stringContaining('(at description)') },
    ]);
  });

  it('refuses choices outside the list, and a missing value without default', () => {
    const withChoices = loadTemplate({
      ...raw,
      parameters: [
        ...raw.parameters.filter((p) => p.name !== 'target'),
        { name: 'target', description: 's', type: 'string', choices: ['api', 'db'] },
      ],
    });
    expect(problems(() => instantiateTemplate(withChoices, { target: 'web' }))[0]).toEqual({
      parameter: 'target',
      message: 'must be one of api, db',
    });
    expect(problems(() => instantiateTemplate(withChoices))[0]).toEqual({
      parameter: 'target',
      message: 'required (it has no default)',
    });
  });

  it('keeps a "__proto__" key of the body as data', () => {
    const body = JSON.parse(
      JSON.stringify(valid.body).replace('"action":"pause"', '"action":"pause","__proto__":{"polluted":1}'),
    ) as Record<string, unknown>;
    const t = { ...valid, body };
    const p = problems(() => instantiateTemplate(t));
    expect(p[0].message).toMatch(/__proto__/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('parseTemplateValue', () => {
  const integer = { name: 'port', description: 'p', type: 'integer' as const };
  it('reads numbers for numeric parameters and names the parameter otherwise', () => {
    expect(parseTemplateValue(integer, '5432')).toBe(5432);
    expect(() => parseTemplateValue(integer, '54x')).toThrow('port: "54x" is not a whole number');
    expect(() => parseTemplateValue(integer, '1e3')).toThrow(TemplateError);
    expect(parseTemplateValue({ ...integer, type: 'number' }, '0.5')).toBe(0.5);
    expect(parseTemplateValue({ ...integer, type: 'string' }, '5432')).toBe('5432');
  });
});
