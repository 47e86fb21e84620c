import { UpcomingCache } from './upcoming-occurrences.cache';

const at = (ms: number) => ({ at: new Date(ms) });

describe('UpcomingCache', () => {
  it('answers from memory while the first occurrence has not passed, then computes again', () => {
    const cache = new UpcomingCache<{ at: Date }>();
    const calls: number[] = [];
    const compute = (from: number) => {
      calls.push(from);
      return [at(from + 100), at(from + 200)];
    };
    expect(cache.get('g:1', 1000, compute)).toEqual([at(1100), at(1200)]);
    expect(cache.get('g:1', 1100, compute)).toEqual([at(1100), at(1200)]);
    expect(calls).toEqual([1000]);
    // the first occurrence is behind: the list from 1101 is another one
    expect(cache.get('g:1', 1101, compute)).toEqual([at(1201), at(1301)]);
    expect(calls).toEqual([1000, 1101]);
  });

  it('computes again for an earlier instant and for another version', () => {
    const cache = new UpcomingCache<{ at: Date }>();
    let n = 0;
    const compute = (from: number) => (n++, [at(from + 100)]);
    cache.get('g:1', 1000, compute);
    cache.get('g:1', 900, compute);
    cache.get('g:2', 900, compute);
    expect(n).toBe(3);
  });

  it('an empty list (no occurrence left) stays empty; the oldest entry goes when full', () => {
    const cache = new UpcomingCache<{ at: Date }>(2);
    let n = 0;
    const none = () => (n++, []);
    cache.get('a', 1, none);
    expect(cache.get('a', 5_000, none)).toEqual([]);
    expect(n).toBe(1);
    cache.get('b', 1, none);
    cache.get('c', 1, none);
    cache.get('a', 5_000, none);
    expect(n).toBe(4);
  });
});
