import { formatProblem, isProblem, problemFromText } from './problem-format';

describe('formatProblem', () => {
  it('lists every invalid field with its message under the title and detail', () => {
    const text = formatProblem({
      type: 'urn:gameday:problem:validation',
      title: 'Invalid request',
      status: 400,
      detail: '2 invalid fields: experiments[0].durations.fault, name',
      errors: [
        { field: 'experiments[0].durations.fault', message: 'must be a duration like "30s"' },
        { field: 'name', message: 'must not be empty' },
      ],
    });
    expect(text.split('\n')).toEqual([
      'Invalid request (HTTP 400)',
      '2 invalid fields: experiments[0].durations.fault, name',
      '  - experiments[0].durations.fault: must be a duration like "30s"',
      '  - name: must not be empty',
    ]);
  });

  it('names the whole body when a field is empty', () => {
    expect(
      formatProblem({ title: 'Invalid request', status: 400, errors: [{ field: '', message: 'invalid JSON' }] }),
    ).toBe('Invalid request (HTTP 400)\n  - (body): invalid JSON');
  });

  it.each([
    [401, 'hint: check GAMEDAY_TOKEN or --token'],
    [403, 'hint: your token’s role is not allowed to do this'],
  ])('adds a hint for %i', (status, hint) => {
    expect(formatProblem({ title: 'Nope', status }).split('\n').at(-1)).toBe(hint);
  });

  it('prefers the HTTP status it is given over a missing one in the body', () => {
    expect(formatProblem({ title: 'Conflict', detail: 'a run is in progress' }, 409)).toBe(
      'Conflict (HTTP 409)\na run is in progress',
    );
  });

  it('survives a problem without title or errors list', () => {
    expect(formatProblem({ errors: 'oops' as never }, 500)).toBe('Request failed (HTTP 500)');
  });
});

describe('problemFromText', () => {
  it('turns an HTML error page into one short line', () => {
    const p = problemFromText(502, 'Bad Gateway', `<html><body><h1>502</h1>\n<p>${'x'.repeat(300)}</p></body></html>`);
    expect(p.title).toBe('Bad Gateway');
    expect(p.detail).toMatch(/^502 x+…$/);
    expect(p.detail!.length).toBe(201);
  });

  it('has no detail for an empty body', () => {
    expect(problemFromText(503, '', '')).toEqual({ title: 'Request failed', status: 503 });
  });
});

describe('isProblem', () => {
  it.each([
    [{ title: 'x' }, true],
    [{ detail: 'x' }, true],
    [{ errors: [] }, true],
    [{ items: [] }, false],
    [[], false],
    [null, false],
    ['text', false],
  ])('%j → %s', (body, expected) => {
    expect(isProblem(body)).toBe(expected);
  });
});
