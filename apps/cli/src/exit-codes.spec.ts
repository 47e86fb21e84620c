import { EXIT, exitCodeForVerdict } from './exit-codes';

describe('exitCodeForVerdict', () => {
  it.each([
    ['hypothesis_held', 0],
    ['hypothesis_violated', 1],
    ['aborted', 2],
    ['inconclusive', 2],
    // failed, cancelled and skipped runs carry no verdict: never a green gate
    [null, 2],
    [undefined, 2],
    ['', 2],
    ['some_future_verdict', 2],
    ['toString', 2],
  ])('%s → %i', (verdict, code) => {
    expect(exitCodeForVerdict(verdict)).toBe(code);
  });

  it('keeps the documented codes distinct', () => {
    expect(new Set(Object.values(EXIT)).size).toBe(Object.keys(EXIT).length);
    expect(EXIT).toEqual({ ok: 0, invalid: 1, inconclusive: 2, api: 3, network: 4 });
  });
});
