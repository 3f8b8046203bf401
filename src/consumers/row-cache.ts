/**
 * Rows a consumer keeps between its batches, so that a batch reads from the
 * database only the rows it has not seen yet. It is only as good as the lease:
 * the mechanism starts a new one whenever the lease's fence changes (someone
 * else may have written the rows meanwhile) and drops what a failed batch set.
 *
 * Loaded whole (every row of the version fitting in it), it is *complete*:
 * a key it lacks has no row, so a batch that starts new rows (a new saga, a
 * new order) reads nothing at all. It stays complete until it must evict.
 *
 * Values are kept as JSON text, so what a batch gets back is exactly what a
 * read of the jsonb column would give, and a fold that mutates its state in
 * place cannot reach into the cache.
 */
export class RowCache {
  private readonly rows = new Map<string, string>();
  /** Set by the batch in progress; kept only once its writes commit. */
  private readonly staged = new Map<string, string>();
  private whole = false;
  private tried = false;

  /** `capacity` 0: a cache of one batch only (a replay), never loaded. */
  constructor(readonly capacity = 10_000) {}

  /** Whether `load` is still to be tried. */
  get wantsLoad(): boolean {
    return !this.tried && this.capacity > 0;
  }

  /** Every row of the version, or the first `capacity + 1` of them (then not complete). */
  load(rows: [string, unknown][]): void {
    this.tried = true;
    for (const [key, value] of rows.slice(0, this.capacity)) this.rows.set(key, JSON.stringify(value));
    this.whole = rows.length <= this.capacity;
  }

  /** A key it lacks has no row. */
  get complete(): boolean {
    return this.whole;
  }

  get<T>(key: string): T | undefined {
    const text = this.staged.get(key) ?? this.rows.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  set(key: string, value: unknown): void {
    this.staged.set(key, JSON.stringify(value));
  }

  /** The batch committed: keep what it set, the least recently written rows making room. */
  commit(): void {
    for (const [key, text] of this.staged) {
      this.rows.delete(key);
      this.rows.set(key, text);
    }
    this.staged.clear();
    for (const key of this.rows.keys()) {
      if (this.rows.size <= this.capacity) break;
      this.rows.delete(key);
      this.whole = false;
    }
  }

  /** The batch failed: forget what it set. */
  discard(): void {
    this.staged.clear();
  }

  get size(): number {
    return this.rows.size;
  }
}
