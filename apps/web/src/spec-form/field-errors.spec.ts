import { fieldPath, toErrorSchema, withoutEmptyObjects } from './field-errors';

describe('the API field errors on the form', () => {
  it('splits a field path into object keys and array indexes', () => {
    expect(fieldPath('experiments[0].durations.baseline')).toEqual(['experiments', '0', 'durations', 'baseline']);
    expect(fieldPath('experiments[12].hypothesis.probes[3].url')).toEqual([
      'experiments',
      '12',
      'hypothesis',
      'probes',
      '3',
      'url',
    ]);
  });

  it('puts each message under its field, several on one field, and pathless ones on the form', () => {
    expect(
      toErrorSchema([
        { field: 'experiments[0].durations.baseline', message: 'not a duration' },
        { field: 'experiments[0].durations.baseline', message: 'too short' },
        { field: 'name', message: 'required' },
        { field: '(body)', message: 'not an object' },
      ]),
    ).toEqual({
      __errors: ['not an object'],
      name: { __errors: ['required'] },
      experiments: { 0: { durations: { baseline: { __errors: ['not a duration', 'too short'] } } } },
    });
  });

  it("drops the empty objects a union member's switch leaves, keeping arrays and their items", () => {
    expect(
      withoutEmptyObjects({ target: { container: 'x', compose: {}, labels: {} }, list: [{}, 1], a: { b: {} } }),
    ).toEqual({ target: { container: 'x' }, list: [{}, 1] });
  });
});
