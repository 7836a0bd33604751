/**
 * An in-process cache whose entries are dropped by tag (a hospital, a user) when the data behind
 * them changes, with a TTL as a safety net and a bound on size (approximately least recently used goes first). Each entry lives a random
 * 50–100% of its TTL: entries loaded together (a warm-up, a restart, a reconnect) would otherwise
 * expire together and reload all at once (at 1M studies, 256 worklist pages reloading within a
 * few seconds held every read behind them for tens of milliseconds).
 *
 * Loads are single-flight per key, and a load that was running when one of its tags was
 * invalidated is neither stored nor shared with later callers: every tag keeps the sequence
 * number of its last invalidation, a load snapshots the sequence before it queries, and its
 * result is stored only if none of its tags (and no clear()) moved past that snapshot.
 */
export interface TaggedCacheOptions<V> {
  /** Upper bound on the summed weight of the entries (default: one per entry). */
  maxWeight: number;
  weigh?: (value: V) => number;
  /** While false (e.g. cross-process invalidations cannot be heard), nothing is served or stored. */
  enabled?: () => boolean;
  /**
   * How long past its TTL an entry may still be served while a reload runs in the background
   * (default 0: a caller after the TTL waits for the reload). Invalidation still drops it at once:
   * only the TTL's safety net is relaxed, by the time a reload takes.
   */
  staleMs?: number;
}

/** Share of the TTL by which an entry may expire early (see the class comment). */
const TTL_JITTER = 0.5;

interface Entry<V> {
  value: V;
  expiresAt: number;
  tags: readonly string[];
  weight: number;
  /** Stored or read since eviction last passed it (second chance). */
  used: boolean;
}

interface Flight<V> {
  promise: Promise<V>;
  tags: readonly string[];
}

export interface Loaded<V> {
  value: V;
  /** How long it may be served; 0 or less: do not store. */
  ttlMs: number;
  /** Tags known only once loaded (what the value turned out to hold); checked and indexed like the others. */
  tags?: readonly string[];
}

export class TaggedCache<K extends string, V> {
  /** Map order is insertion order, give or take second chances: the first entry is the next eviction candidate. */
  private readonly entries = new Map<K, Entry<V>>();
  private readonly flights = new Map<K, Flight<V>>();
  private readonly byTag = new Map<string, Set<K>>();
  private readonly invalidatedAt = new Map<string, number>();
  private seq = 0;
  private clearedAt = 0;
  private weight = 0;

  constructor(private readonly options: TaggedCacheOptions<V>) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * The cached value, or the running load's, or a new load's (stored if still current).
   * `tags` may be given as a function: it is called only on a miss.
   */
  get(key: K, tagsOf: readonly string[] | (() => readonly string[]), load: () => Promise<Loaded<V>>, now = Date.now()): Promise<V> {
    if (this.options.enabled && !this.options.enabled()) return load().then((l) => l.value);
    const hit = this.entries.get(key);
    if (hit) {
      const fresh = hit.expiresAt > now;
      if (fresh || hit.expiresAt + (this.options.staleMs ?? 0) > now) {
        // Marked, not moved: re-inserting on every hit (thousands a second) keeps each caller's key
        // string alive until that key's next hit, long enough to reach the old generation, whose
        // collections then paused reads for 15-20 ms. Eviction gives marked entries a second chance.
        hit.used = true;
        if (!fresh && !this.flights.has(key)) {
          // Its reload's outcome reaches later callers through the entry; a failed one is retried by the next caller.
          this.load(key, hit.tags, load).catch(() => undefined);
        }
        return Promise.resolve(hit.value);
      }
      this.remove(key);
    }
    const flying = this.flights.get(key);
    if (flying) return flying.promise;
    return this.load(key, typeof tagsOf === 'function' ? tagsOf() : tagsOf, load);
  }

  /** Runs `load` as the one flight of `key`, and stores its value if still current. */
  private load(key: K, tags: readonly string[], load: () => Promise<Loaded<V>>): Promise<V> {
    const snapshot = this.seq;
    const promise = load().then(
      (loaded) => {
        if (this.flights.get(key)?.promise === promise) this.forgetFlight(key, tags);
        const all = loaded.tags?.length ? [...tags, ...loaded.tags] : tags;
        if (loaded.ttlMs > 0 && this.current(all, snapshot) && (!this.options.enabled || this.options.enabled())) {
          this.store(key, all, loaded.value, Date.now() + loaded.ttlMs * (1 - TTL_JITTER * Math.random()));
        }
        return loaded.value;
      },
      (err: unknown) => {
        if (this.flights.get(key)?.promise === promise) this.forgetFlight(key, tags);
        throw err;
      },
    );
    this.flights.set(key, { promise, tags });
    for (const tag of tags) this.index(tag).add(key);
    return promise;
  }

  /** Drops every entry (and running load) carrying one of these tags. */
  invalidate(tags: Iterable<string>): void {
    const seq = ++this.seq;
    for (const tag of tags) {
      this.invalidatedAt.set(tag, seq);
      const keys = this.byTag.get(tag);
      if (!keys) continue;
      for (const key of [...keys]) {
        this.remove(key);
        const flight = this.flights.get(key);
        if (flight) this.forgetFlight(key, flight.tags);
      }
    }
  }

  /** Drops everything; loads running now will not be stored. */
  clear(): void {
    this.clearedAt = ++this.seq;
    this.entries.clear();
    this.flights.clear();
    this.byTag.clear();
    // Tags invalidated before the clear are older than clearedAt: their marks are no longer needed.
    this.invalidatedAt.clear();
    this.weight = 0;
  }

  private current(tags: readonly string[], snapshot: number): boolean {
    if (this.clearedAt > snapshot) return false;
    for (const tag of tags) if ((this.invalidatedAt.get(tag) ?? 0) > snapshot) return false;
    return true;
  }

  private store(key: K, tags: readonly string[], value: V, expiresAt: number): void {
    this.remove(key);
    const weight = this.options.weigh ? this.options.weigh(value) : 1;
    if (weight > this.options.maxWeight) return;
    // Marked: a value just loaded is wanted now, and must not be the first to go.
    this.entries.set(key, { value, expiresAt, tags, weight, used: true });
    for (const tag of tags) this.index(tag).add(key);
    this.weight += weight;
    // Oldest first; one read since the last pass earns a move to the end (each entry at most once
    // per pass, so this ends): approximately least recently used.
    while (this.weight > this.options.maxWeight) {
      const oldest = this.entries.entries().next();
      if (oldest.done) break;
      const [oldestKey, entry] = oldest.value;
      if (entry.used) {
        entry.used = false;
        this.entries.delete(oldestKey);
        this.entries.set(oldestKey, entry);
      } else {
        this.remove(oldestKey);
      }
    }
  }

  private remove(key: K): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.weight -= entry.weight;
    if (!this.flights.has(key)) this.unindex(key, entry.tags);
  }

  private forgetFlight(key: K, tags: readonly string[]): void {
    this.flights.delete(key);
    if (!this.entries.has(key)) this.unindex(key, tags);
  }

  private index(tag: string): Set<K> {
    let keys = this.byTag.get(tag);
    if (!keys) this.byTag.set(tag, (keys = new Set()));
    return keys;
  }

  private unindex(key: K, tags: readonly string[]): void {
    for (const tag of tags) {
      const keys = this.byTag.get(tag);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) this.byTag.delete(tag);
    }
  }
}
