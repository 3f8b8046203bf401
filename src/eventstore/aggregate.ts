import type { Decider, DomainEvent } from './decider';
import type { SnapshotStore } from './snapshots';
import type { EventStore, Queryable } from './store';

export interface LoadOptions {
  /** State as of this recorded time. */
  asOf?: Date;
  /** State as of this stream version. */
  version?: number;
  /** Ignore snapshots and fold from the first event. */
  noSnapshot?: boolean;
}

export interface Loaded<S> {
  state: S;
  /** The stream version the state reflects (0: no events). */
  version: number;
  /** Where folding started from (0: from scratch). */
  snapshotVersion: number;
  /** How many events were folded on top of the snapshot. */
  eventsFolded: number;
}

/**
 * Loads a decider's state: newest usable snapshot, then the tail of events.
 * "Now", "as of version N" and "as of time T" are the same code path.
 */
export async function loadAggregate<S, E extends DomainEvent>(
  store: EventStore,
  snapshots: SnapshotStore | undefined,
  decider: Decider<S, any, E>,
  streamId: string,
  options: LoadOptions = {},
): Promise<Loaded<S>> {
  const snapshot =
    snapshots && !options.noSnapshot
      ? await snapshots.latest<S>(streamId, decider.name, decider.version, options)
      : undefined;
  let state = snapshot ? snapshot.state : decider.initialState();
  let version = snapshot?.streamPosition ?? 0;
  const tail = await store.readStream<E['data']>(streamId, {
    fromVersion: version + 1,
    toVersion: options.version,
    asOf: options.asOf,
  });
  for (const event of tail) {
    state = decider.evolve(state, { type: event.type, data: event.data } as E);
    version = event.streamPosition;
  }
  return { state, version, snapshotVersion: snapshot?.streamPosition ?? 0, eventsFolded: tail.length };
}

export interface AggregateRef<S = any> {
  decider: Decider<S, any, any>;
  streamId: string;
}

/**
 * The current state of several aggregates in one round trip: each one's
 * newest snapshot (when `snapshots` is on) and the events after it. Used where
 * a command is decided inside a transaction, so the reads see that
 * transaction's locks and snapshot.
 */
export async function loadAggregates(
  store: EventStore,
  refs: AggregateRef[],
  db: Queryable,
  snapshots: boolean,
): Promise<Loaded<unknown>[]> {
  if (refs.length === 0) return [];
  const { rows } = await db.query<{
    ord: number;
    snapshot_position: number | null;
    snapshot_state: unknown;
    stream_position: number | null;
    type: string | null;
    schema_version: number | null;
    data: unknown;
  }>(
    `WITH target AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[]) WITH ORDINALITY AS t(stream_id, reducer, reducer_version, ord)),
     start AS (
       SELECT target.ord, target.stream_id, snap.stream_position, snap.state FROM target
         LEFT JOIN LATERAL (
           SELECT stream_position, state FROM snapshots
            WHERE $4 AND stream_id = target.stream_id AND reducer = target.reducer AND reducer_version = target.reducer_version
            ORDER BY stream_position DESC LIMIT 1) AS snap ON true)
     SELECT start.ord::int, start.stream_position AS snapshot_position,
            -- the snapshot once per stream, not once per event after it
            CASE WHEN e.stream_position IS NULL OR e.stream_position = coalesce(start.stream_position, 0) + 1
                 THEN start.state END AS snapshot_state,
            e.stream_position, e.type, e.schema_version, e.data
       FROM start LEFT JOIN events e ON e.stream_id = start.stream_id AND e.stream_position > coalesce(start.stream_position, 0)
      ORDER BY start.ord, e.stream_position`,
    [refs.map((r) => r.streamId), refs.map((r) => r.decider.name), refs.map((r) => r.decider.version), snapshots],
  );
  const loaded: Loaded<unknown>[] = refs.map((r) => ({ state: r.decider.initialState(), version: 0, snapshotVersion: 0, eventsFolded: 0 }));
  for (const row of rows) {
    const target = loaded[row.ord - 1];
    const { decider } = refs[row.ord - 1];
    if (row.snapshot_position !== null && row.snapshot_state !== null) {
      Object.assign(target, { state: row.snapshot_state, version: row.snapshot_position, snapshotVersion: row.snapshot_position });
    }
    if (row.stream_position === null) continue;
    const data = store.registry.decode(row.type!, row.schema_version!, row.data);
    target.state = decider.evolve(target.state, { type: row.type!, data });
    target.version = row.stream_position;
    target.eventsFolded++;
  }
  return loaded;
}
