import type { ExpectedVersion } from './errors';

export type { ExpectedVersion };

/** What callers hand to append: a typed event and optional metadata. */
export interface NewEvent {
  type: string;
  data: unknown;
  /** Defaults to a random UUID. */
  eventId?: string;
  metadata?: EventMetadata;
}

/**
 * correlationId and causationId are stored in their own columns (indexed for
 * "everything of saga X"); the rest stays in the metadata document.
 */
export interface EventMetadata {
  correlationId?: string;
  causationId?: string;
  commandId?: string;
  workflowId?: string;
  stepId?: number | string;
  actor?: string;
  [key: string]: unknown;
}

export interface RecordedEvent<T = unknown> {
  globalPosition: number;
  txid: string;
  streamId: string;
  streamType: string;
  streamPosition: number;
  eventId: string;
  type: string;
  schemaVersion: number;
  data: T;
  metadata: EventMetadata;
  recordedAt: Date;
  /** Set on feed reads when the event could not be decoded (unknown type, bad data). */
  decodeError?: string;
}

export interface StreamWrite {
  streamId: string;
  events: NewEvent[];
  expected?: ExpectedVersion;
}

export interface AppendOptions {
  expected?: ExpectedVersion;
  /** Idempotency key: a repeated command id returns the first result and writes nothing. */
  commandId?: string;
  /** Metadata merged into every event of this append (event metadata wins). */
  metadata?: EventMetadata;
  /**
   * In a caller's transaction: send no NOTIFY inside it (a NOTIFY holds a
   * cluster-wide lock until the commit is flushed); the caller calls
   * `EventStore.committed` after its commit instead.
   */
  announceAfterCommit?: boolean;
}

export interface StreamAppendResult {
  streamId: string;
  previousVersion: number;
  version: number;
  /** Global positions of the appended events, in stream order. */
  positions: number[];
}

export interface AppendResult {
  /** True when the command id had been seen: nothing was written now. */
  duplicate: boolean;
  txid: string;
  streams: StreamAppendResult[];
  /** Highest global position written (0 when nothing was). */
  lastPosition: number;
}

/**
 * A position in the global feed. Ordered by (txid, position): the feed only
 * ever grows behind the oldest running transaction, so this never skips.
 */
export interface Checkpoint {
  txid: string;
  position: number;
}

export const START: Checkpoint = { txid: '0', position: 0 };

export interface ReadStreamOptions {
  /** First stream position to return (1-based, inclusive). */
  fromVersion?: number;
  /** Last stream position to return (inclusive). */
  toVersion?: number;
  /** Only events recorded at or before this time. */
  asOf?: Date;
  limit?: number;
}
