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

  constructor(private readonly store: EventStore, private readonly pool?: Queryable) {}

  /**
   * `db`: a transaction of the caller's (its round's). What it reads is
   * committed history either way, so another lane may share that read.
   */
  read(after: Checkpoint, limit: number, db?: Queryable): Promise<RecordedEvent[]> {
    const key = `${after.txid}:${after.position}:${limit}`;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    this.reads++;
    const read = this.store.readAll(after, limit, db ?? this.pool).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, read);
    return read;
  }
}
