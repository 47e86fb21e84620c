import { unstorableTextErrors } from './storable-text';

describe('unstorableTextErrors', () => {
  it.each([
    ['plain text', { a: 'héllo 😀' }, []],
    ['lone high surrogate', { a: ['x', 'b\ud800'] }, ['a[1]']],
    ['lone low surrogate', { b: { c: '\udc00' } }, ['b.c']],
    ['NUL', { d: 'a\u0000' }, ['d']],
    ['a key with a surrogate', { e: { '\ud800': 1 } }, ['e']],
  ])('%s', (_label, value, fields) => {
    expect(unstorableTextErrors(value).map((e) => e.field)).toEqual(fields);
  });

  it('names a query or path parameter under its own name', () => {
    expect(unstorableTextErrors('\ud800', ['id'])).toEqual([{ field: 'id', message: expect.any(String) }]);
  });
});
