import type { Decider, DomainEvent } from './decider';
import type { SnapshotStore } from './snapshots';
import type { EventStore } from './store';

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
