import { RowCache } from '../../src/consumers';

/** The rows a consumer keeps between batches (src/consumers/row-cache.ts): given / when / then. */

test('what a batch sets is seen by that batch, kept once it commits, and forgotten if it fails', () => {
  const cache = new RowCache();
  cache.set('a', { n: 1 });
  expect(cache.get('a')).toEqual({ n: 1 });
  cache.discard();
  expect(cache.get('a')).toBeUndefined();

  cache.set('a', { n: 2 });
  cache.commit();
  cache.set('a', { n: 3 });
  cache.discard();
  expect(cache.get('a')).toEqual({ n: 2 });
});

test('hands out copies: a fold that mutates its state cannot change what is kept', () => {
  const cache = new RowCache();
  cache.set('a', { seen: [1] });
  cache.commit();
  cache.get<{ seen: number[] }>('a')!.seen.push(2);
  expect(cache.get('a')).toEqual({ seen: [1] });
});

test('loaded whole it is complete until it must evict; the least recently written row goes first', () => {
  const cache = new RowCache(2);
  expect(cache.wantsLoad).toBe(true);
  cache.load([['a', 1], ['b', 2]]);
  expect(cache.wantsLoad).toBe(false);
  expect(cache.complete).toBe(true);

  cache.set('a', 10);
  cache.commit();
  cache.set('c', 3);
  cache.commit();
  expect(cache.complete).toBe(false);
  expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([10, undefined, 3]);
});

test('more rows than it holds: it keeps what fits and is not complete', () => {
  const cache = new RowCache(2);
  cache.load([['a', 1], ['b', 2], ['c', 3]]);
  expect(cache.complete).toBe(false);
  expect(cache.size).toBe(2);
});

test('a cache of capacity 0 (a replay) is never loaded and keeps nothing past its batch', () => {
  const cache = new RowCache(0);
  expect(cache.wantsLoad).toBe(false);
  cache.set('a', 1);
  expect(cache.get('a')).toBe(1);
  cache.commit();
  expect(cache.get('a')).toBeUndefined();
});
