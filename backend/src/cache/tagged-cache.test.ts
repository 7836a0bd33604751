import { describe, expect, it } from 'vitest';
import { TaggedCache, type Loaded } from './tagged-cache.js';

/** A load the test finishes by hand, to interleave it with invalidations. */
function deferred<V>() {
  let resolve!: (v: Loaded<V>) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<Loaded<V>>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject, load: () => promise };
}

const counting = (value: string, ttlMs = 60_000) => {
  let calls = 0;
  return { load: async () => ({ value: `${value}${++calls}`, ttlMs }), calls: () => calls };
};

describe('TaggedCache', () => {
  it('serves a stored value until a tag of it is invalidated', async () => {
    const cache = new TaggedCache<string, string>({ maxWeight: 10 });
    const src = counting('v');
    expect(await cache.get('k', ['h1', 'h2'], src.load)).toBe('v1');
    expect(await cache.get('k', ['h1', 'h2'], src.load)).toBe('v1');
    cache.invalidate(['h3']);
    expect(await cache.get('k', ['h1', 'h2'], src.load)).toBe('v1');
    cache.invalidate(['h2']);
    expect(await cache.get('k', ['h1', 'h2'], src.load)).toBe('v2');
    expect(src.calls()).toBe(2);
  });

  it('tags a load reports (what the value turned out to hold) drop it like the others, also while it loads', async () => {
    const cache = new TaggedCache<string, string>({ maxWeight: 10 });
    let calls = 0;
    const load = async () => ({ value: `v${++calls}`, ttlMs: 60_000, tags: ['case:1'] });
    expect(await cache.get('k', ['q'], load)).toBe('v1');
    cache.invalidate(['case:2']);
    expect(await cache.get('k', ['q'], load)).toBe('v1');
    cache.invalidate(['case:1']);
    expect(await cache.get('k', ['q'], load)).toBe('v2');
    // Invalidated while loading: the value may predate the change, so it is not kept.
    cache.invalidate(['q']);
    const d = deferred<string>();
    const late = cache.get('k', ['q'], d.load);
    cache.invalidate(['case:9']);
    d.resolve({ value: 'stale', ttlMs: 60_000, tags: ['case:9'] });
    expect(await late).toBe('stale');
    expect(await cache.get('k', ['q'], load)).toBe('v3');
  });

  it('concurrent misses share one load', async () => {
    const cache = new TaggedCache<string, string>({ maxWeight: 10 });
    const d = deferred<string>();
    const a = cache.get('k', ['h'], d.load);
    const b = cache.get('k', ['h'], () => Promise.reject(new Error('second load')));
    d.resolve({ value: 'x', ttlMs: 1000 });
    expect(await Promise.all([a, b])).toEqual(['x', 'x']);
  });

  it('a load overtaken by an invalidation is neither stored nor shared with later callers', async () => {
    const cache = new TaggedCache<string, string>({ maxWeight: 10 });
    const stale = deferred<string>();
    const first = cache.get('k', ['h'], stale.load);
    cache.invalidate(['h']); // the data changed while the query ran
    const fresh = deferred<string>();
    const second = cache.get('k', ['h'], fresh.load); // must not join the stale load
    stale.resolve({ value: 'old', ttlMs: 1000 });
    fresh.resolve({ value: 'new', ttlMs: 1000 });
    expect(await first).toBe('old'); // its caller asked before the change
    expect(await second).toBe('new');
    expect(await cache.get('k', ['h'], () => Promise.reject(new Error('should be cached')))).toBe('new');
  });

  it('a load that finishes after the invalidation it started before is not stored', async () => {
    const cache = new TaggedCache<string, string>({ maxWeight: 10 });
    const stale = deferred<string>();
    const first = cache.get('k', ['h'], stale.load);
    cache.invalidate(['h']);
    stale.resolve({ value: 'old', ttlMs: 1000 });
    await first;
    const src = counting('fresh');
    expect(await cache.get('k', ['h'], src.load)).toBe('fresh1');
    // clear() works the same way for loads in flight.
    const again = deferred<string>();
    const pending = cache.get('k2', ['h2'], again.load);
    cache.clear();
    again.resolve({ value: 'old', ttlMs: 1000 });
    await pending;
    expect(await cache.get('k2', ['h2'], src.load)).toBe('fresh2');
  });

  it('expires entries after their ttl; a ttl of 0 is not stored; errors are not stored', async () => {
    const cache = new TaggedCache<string, string>({ maxWeight: 10 });
    const src = counting('v', 1000);
    const t0 = Date.now();
    expect(await cache.get('k', [], src.load, t0)).toBe('v1');
    expect(await cache.get('k', [], src.load, t0 + 400)).toBe('v1');
    expect(await cache.get('k', [], src.load, t0 + 5000)).toBe('v2');
    const none = counting('n', 0);
    await cache.get('z', [], none.load);
    await cache.get('z', [], none.load);
    expect(none.calls()).toBe(2);
    await expect(cache.get('e', [], () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(await cache.get('e', [], src.load)).toBe('v3');
  });

  it('entries loaded together expire spread over the second half of their ttl, never later', async () => {
    const cache = new TaggedCache<string, string>({ maxWeight: 1000 });
    const src = counting('v', 1000);
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
    const t0 = Date.now();
    for (const k of keys) await cache.get(k, [], src.load, t0);
    const reloadsAt = async (t: number) => {
      const before = src.calls();
      for (const k of keys) await cache.get(k, [], src.load, t);
      return src.calls() - before;
    };
    expect(await reloadsAt(t0 + 450)).toBe(0);
    const spread = await reloadsAt(t0 + 750);
    expect(spread).toBeGreaterThan(0);
    expect(spread).toBeLessThan(100);
  });

  it('with staleMs, an expired entry is served while one reload runs; later than that, or invalidated, it is not', async () => {
    const cache = new TaggedCache<string, string>({ maxWeight: 10, staleMs: 5000 });
    let calls = 0;
    const gate = deferred<string>();
    const load = () => (++calls === 1 ? Promise.resolve({ value: 'v1', ttlMs: 1000 }) : gate.promise);
    const t0 = Date.now();
    expect(await cache.get('k', ['h'], load, t0)).toBe('v1');
    // Expired but within staleMs: the old value at once, and a single reload behind it.
    expect(await cache.get('k', ['h'], load, t0 + 2000)).toBe('v1');
    expect(await cache.get('k', ['h'], load, t0 + 2100)).toBe('v1');
    expect(calls).toBe(2);
    gate.resolve({ value: 'v2', ttlMs: 1000 });
    await gate.promise;
    await Promise.resolve();
    expect(await cache.get('k', ['h'], load, Date.now())).toBe('v2');
    // Invalidated: never served, stale or not.
    cache.invalidate(['h']);
    const fresh = counting('f', 1000);
    expect(await cache.get('k', ['h'], fresh.load, Date.now())).toBe('f1');
    // Past staleMs: the caller waits for the reload.
    expect(await cache.get('k', ['h'], fresh.load, Date.now() + 7000)).toBe('f2');
  });

  it('evicts the least recently used beyond its weight', async () => {
    const cache = new TaggedCache<string, string>({ maxWeight: 5, weigh: (v) => v.length });
    for (const k of ['a', 'b', 'c']) await cache.get(k, [k], async () => ({ value: 'xx', ttlMs: 60_000 }));
    expect(cache.size).toBe(2); // 'a' went
    await cache.get('b', ['b'], () => Promise.reject(new Error('cached'))); // b is now most recent
    await cache.get('d', ['d'], async () => ({ value: 'xx', ttlMs: 60_000 }));
    expect(cache.size).toBe(2); // c went, b stays
    expect(await cache.get('b', ['b'], () => Promise.reject(new Error('cached')))).toBe('xx');
    await cache.get('big', [], async () => ({ value: 'xxxxxxxx', ttlMs: 60_000 })); // heavier than the whole cache: not kept
    expect(cache.size).toBe(2);
  });

  it('evicts even when every entry was read since (each gets one second chance), never the one just stored', async () => {
    const cache = new TaggedCache<string, string>({ maxWeight: 3 });
    for (const k of ['a', 'b', 'c']) await cache.get(k, [k], async () => ({ value: k, ttlMs: 60_000 }));
    for (const k of ['a', 'b', 'c']) await cache.get(k, [k], () => Promise.reject(new Error('cached')));
    await cache.get('d', ['d'], async () => ({ value: 'd', ttlMs: 60_000 }));
    expect(cache.size).toBe(3);
    expect(await cache.get('d', ['d'], () => Promise.reject(new Error('cached')))).toBe('d');
    // Every mark was spent in that pass: the oldest, a, went.
    expect(await cache.get('b', ['b'], () => Promise.reject(new Error('cached')))).toBe('b');
    expect(await cache.get('c', ['c'], () => Promise.reject(new Error('cached')))).toBe('c');
  });

  it('while disabled, every call loads and nothing is kept', async () => {
    let on = false;
    const cache = new TaggedCache<string, string>({ maxWeight: 10, enabled: () => on });
    const src = counting('v');
    await cache.get('k', ['h'], src.load);
    await cache.get('k', ['h'], src.load);
    expect(src.calls()).toBe(2);
    on = true;
    await cache.get('k', ['h'], src.load);
    await cache.get('k', ['h'], src.load);
    expect(src.calls()).toBe(3);
  });
});
