import type { AggregateRef } from './decider';
import type { Queryable } from './store';
import type { AppendResult } from './types';

/**
 * Snapshots are a cache of folded state, never a source of truth: losing one
 * only costs a longer fold. Each is keyed by (reducer name, reducer version).
 */
export interface Snapshot<S> {
  streamPosition: number;
  state: S;
}

export class SnapshotStore {
  constructor(
    private readonly db: Queryable,
    /** Take a snapshot whenever a stream passes a multiple of this many events; 0 = never. */
    readonly every: number,
  ) {}

  isDue(previousVersion: number, version: number): boolean {
    return this.every > 0 && Math.floor(version / this.every) > Math.floor(previousVersion / this.every);
  }

  async save(
    streamId: string,
    reducer: string,
    reducerVersion: number,
    streamPosition: number,
    state: unknown,
    db: Queryable = this.db,
  ): Promise<void> {
    // recorded_at of the event it folds up to lets "as of time T" use it safely.
    await db.query(
      `INSERT INTO snapshots (stream_id, reducer, reducer_version, stream_position, event_recorded_at, state)
       SELECT $1, $2, $3, $4, recorded_at, $5 FROM events WHERE stream_id = $1 AND stream_position = $4
       ON CONFLICT DO NOTHING`,
      [streamId, reducer, reducerVersion, streamPosition, JSON.stringify(state)],
    );
  }

  /** Snapshot every decided stream that passed a multiple of `every` in `append`. */
  async saveDue(
    refs: AggregateRef[],
    decisions: { streamId: string; state: unknown }[],
    append: AppendResult,
    db: Queryable = this.db,
  ): Promise<void> {
    for (const decision of decisions) {
      const written = append.streams.find((s) => s.streamId === decision.streamId);
      const ref = refs.find((r) => r.streamId === decision.streamId);
      if (!written || !ref || !this.isDue(written.previousVersion, written.version)) continue;
      await this.save(decision.streamId, ref.decider.name, ref.decider.version, written.version, decision.state, db);
    }
  }

  /** The newest snapshot at or before a version and a time. */
  async latest<S>(
    streamId: string,
    reducer: string,
    reducerVersion: number,
    atOrBefore: { version?: number; asOf?: Date } = {},
  ): Promise<Snapshot<S> | undefined> {
    const { rows } = await this.db.query<{ stream_position: number; state: S }>(
      `SELECT stream_position, state FROM snapshots
        WHERE stream_id = $1 AND reducer = $2 AND reducer_version = $3
          AND stream_position <= $4 AND ($5::timestamptz IS NULL OR event_recorded_at <= $5)
        ORDER BY stream_position DESC LIMIT 1`,
      [streamId, reducer, reducerVersion, atOrBefore.version ?? Number.MAX_SAFE_INTEGER, atOrBefore.asOf ?? null],
    );
    return rows[0] ? { streamPosition: rows[0].stream_position, state: rows[0].state } : undefined;
  }
}
