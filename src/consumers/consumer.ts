import { feedOrder, type Checkpoint, type Queryable, type RecordedEvent } from '../eventstore';
import type { RowCache } from './row-cache';

export type ConsumerKind = 'projection' | 'process-manager' | 'outbox';

/**
 * One INSERT, UPDATE or DELETE that commits together with the checkpoint's
 * move. `$n` in `text` numbers its own `values` (the mechanism renumbers them
 * when it joins a round's writes into one statement, so no other `$` may
 * appear in it). The writes of a round run in one statement: they all see the
 * rows as they were before it, and two of them must not touch the same row.
 */
export interface Write {
  text: string;
  values: unknown[];
}

export interface HandleContext {
  /** The consumer's version (projections build a new one beside the live one on rebuild). */
  version: number;
  /**
   * 'transaction' delivery: where to read the consumer's own rows. They are
   * committed, and nobody else writes them while this process holds the
   * lease (a replay raises the fence, which refuses this round's writes).
   */
  db?: Queryable;
  /** 'transaction' delivery: rows kept from earlier batches while the lease holds. */
  cache?: RowCache;
}

/**
 * Anything that follows the gap-safe feed: a read model, a process manager,
 * the outbox. The mechanism (group.ts) owns checkpoints, leases, batching,
 * retries and dead letters; a consumer only says what it does with events.
 */
export interface Consumer {
  /** Also the checkpoint's key. */
  readonly name: string;
  readonly kind: ConsumerKind;
  /**
   * The version of the consumer's rules. Raise it when they change: a process
   * that finds the live version built by older rules rebuilds it (projections).
   */
  readonly rulesVersion: number;
  /**
   * 'transaction': `handle` returns writes, which commit with the checkpoint
   * in one statement, so each event takes effect once.
   * 'effect': `handle` acts elsewhere (DBOS, a broker) before the checkpoint
   * commits, so an event may be handled again after a crash: idempotent only.
   */
  readonly delivery: 'transaction' | 'effect';
  /** Events it takes; the others only move its checkpoint. */
  wants(event: RecordedEvent): boolean;
  /**
   * May throw: the batch is retried, then its events one by one, and one that
   * still fails is parked. 'transaction' delivery returns its writes.
   */
  handle(events: RecordedEvent[], ctx: HandleContext): Promise<Write[] | void>;
  /**
   * Its failures are the outside world's (a broker that is down): retried with
   * backoff for as long as it takes, never parked, so nothing is skipped.
   */
  readonly neverPark?: boolean;
  /**
   * Consumers of different lanes never wait for each other: the outbox, whose
   * broker may be slow or down, has its own. Default 'local'.
   */
  readonly lane?: string;
  /** Delete a retired version's rows (versioned consumers: projections). */
  drop?(db: Queryable, version: number): Promise<void>;
}

/** Feed order: (txid, position). */
export const compareCheckpoints = feedOrder;

export const checkpointOf = (event: RecordedEvent): Checkpoint => ({ txid: event.txid, position: event.globalPosition });

export class UndecodableEventError extends Error {
  readonly code = 'UNDECODABLE_EVENT';
  constructor(consumer: string, event: RecordedEvent) {
    super(`${consumer}: cannot read ${event.type} at position ${event.globalPosition}: ${event.decodeError}`);
  }
}
