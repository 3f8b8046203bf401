import type { Checkpoint, EventStore, Queryable, RecordedEvent } from '../eventstore';

/**
 * The process's reads of the global feed. Lanes woken by the same append ask
 * for the same position at the same moment: they share one read instead of
 * sending one each.
 */
export class FeedReader {
  private readonly inFlight = new Map<string, Promise<RecordedEvent[]>>();
  /** Reads sent to the database (tests and the bench compare it with the consumers served). */
  reads = 0;

  /** `db`: where the reads go (the read side's own pool; the store's by default). */
  constructor(
    private readonly store: EventStore,
    private readonly db: Queryable = store.pool,
  ) {}

  read(after: Checkpoint, limit: number): Promise<RecordedEvent[]> {
    const key = `${after.txid}:${after.position}:${limit}`;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    this.reads++;
    const read = this.store.readAll(after, limit, this.db).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, read);
    return read;
  }
}
