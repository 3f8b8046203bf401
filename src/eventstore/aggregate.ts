import type { AggregateRef, Decider, DomainEvent } from './decider';
import type { SnapshotStore } from './snapshots';
import type { EventStore, Queryable } from './store';
import type { EventMetadata } from './types';

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

/**
 * The current state of several aggregates in one round trip: each one's
 * newest snapshot (when `snapshots` is on) and the events after it.
 */
export async function loadAggregates(store: EventStore, refs: AggregateRef[], db: Queryable, snapshots: boolean): Promise<Loaded<unknown>[]> {
  if (refs.length === 0) return [];
  return (await lockedRead(store, { refs, snapshots }, db)).loaded;
}

export interface LockedReadRequest {
  /** Streams to lock first, for the rest of the caller's transaction (the ones it will write). */
  lock?: string[];
  /** Events of these types in one stream, read under the locks (e.g. a saga's operator requests). */
  typed?: { streamId: string; types: string[] };
  refs: AggregateRef[];
  snapshots: boolean;
}

export interface TypedEvent {
  type: string;
  data: Record<string, unknown>;
  streamPosition: number;
  metadata: EventMetadata;
  recordedAt: Date;
}

/**
 * A decision's reads in one round trip (migrations/008_locked_read.sql): lock
 * the streams about to be written, then read what the decision needs, so it
 * decides on current state that nobody can change before the caller commits.
 */
export async function lockedRead(
  store: EventStore,
  request: LockedReadRequest,
  db: Queryable,
): Promise<{ typed: TypedEvent[]; loaded: Loaded<unknown>[] }> {
  const { refs } = request;
  const { rows } = await db.query<{
    kind: 'typed' | 'snapshot' | 'event';
    ord: number;
    stream_position: number;
    type: string | null;
    schema_version: number | null;
    data: unknown;
    metadata: EventMetadata | null;
    recorded_at: Date | null;
  }>('SELECT * FROM locked_read($1::text[], $2, $3::text[], $4::text[], $5::text[], $6::int[], $7)', [
    request.lock ?? [],
    request.typed?.streamId ?? null,
    request.typed?.types ?? [],
    refs.map((r) => r.streamId),
    refs.map((r) => r.decider.name),
    refs.map((r) => r.decider.version),
    request.snapshots,
  ]);
  const typed: TypedEvent[] = [];
  const loaded: Loaded<unknown>[] = refs.map((r) => ({ state: r.decider.initialState(), version: 0, snapshotVersion: 0, eventsFolded: 0 }));
  for (const row of rows) {
    if (row.kind === 'typed') {
      const data = store.registry.decode(row.type!, row.schema_version!, row.data) as Record<string, unknown>;
      typed.push({ type: row.type!, data, streamPosition: row.stream_position, metadata: row.metadata ?? {}, recordedAt: row.recorded_at! });
      continue;
    }
    const target = loaded[row.ord - 1];
    if (row.kind === 'snapshot') {
      Object.assign(target, { state: row.data, version: row.stream_position, snapshotVersion: row.stream_position });
      continue;
    }
    const data = store.registry.decode(row.type!, row.schema_version!, row.data);
    target.state = refs[row.ord - 1].decider.evolve(target.state, { type: row.type!, data });
    target.version = row.stream_position;
    target.eventsFolded++;
  }
  return { typed, loaded };
}
