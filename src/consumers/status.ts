import { setTimeout as sleep } from 'node:timers/promises';
import type { EventEmitter } from 'node:events';
import type { Checkpoint, EventStore, Queryable } from '../eventstore';
import type { VersionStatus } from './checkpoints';
import type { ConsumerKind } from './consumer';

/** What GET /consumers, GET /projections, metrics and the console show per version of a consumer. */
export interface ConsumerStatus {
  name: string;
  kind: ConsumerKind;
  version: number;
  status: Exclude<VersionStatus, 'retired'>;
  rulesVersion: number;
  checkpoint: Checkpoint;
  lag: {
    /** Committed events after the checkpoint (counted up to LAG_COUNT_CAP). */
    events: number;
    /** Age of the oldest event not applied yet; 0 when caught up. */
    ms: number;
  };
  parked: number;
  lease: { owner: string | null; expiresAt: string | null; fence: number };
  updatedAt: string;
  liveSince: string | null;
}

/** Counting a huge backlog exactly is slow and tells nothing more. */
export const LAG_COUNT_CAP = 100_000;

interface Row {
  name: string;
  kind: ConsumerKind;
  version: number;
  status: Exclude<VersionStatus, 'retired'>;
  rules_version: number;
  txid: string;
  position: number;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  lease_fence: number;
  updated_at: Date;
  live_since: Date | null;
  lag_events: number;
  lag_ms: number | null;
  parked: number;
}

export async function consumerStatuses(db: Queryable, filter: { name?: string; kind?: ConsumerKind } = {}): Promise<ConsumerStatus[]> {
  const { rows } = await db.query<Row>(
    `SELECT c.name, c.kind, c.version, c.status, c.rules_version, c.txid::text AS txid, c.position, c.lease_owner, c.lease_expires_at,
            c.lease_fence, c.updated_at, c.live_since,
            (SELECT count(*) FROM (SELECT 1 FROM events e WHERE (e.txid, e.global_position) > (c.txid, c.position) LIMIT ${LAG_COUNT_CAP}) pending) AS lag_events,
            (SELECT extract(epoch FROM clock_timestamp() - e.recorded_at) * 1000 FROM events e
              WHERE (e.txid, e.global_position) > (c.txid, c.position) ORDER BY e.txid, e.global_position LIMIT 1)::float8 AS lag_ms,
            (SELECT count(*) FROM consumer_dead_letters d
              WHERE d.consumer = c.name AND d.version = c.version AND d.replayed_at IS NULL) AS parked
       FROM consumer_checkpoints c
      WHERE c.status <> 'retired' AND ($1::text IS NULL OR c.name = $1) AND ($2::text IS NULL OR c.kind = $2)
      ORDER BY c.kind DESC, c.name, c.version`,
    [filter.name ?? null, filter.kind ?? null],
  );
  return rows.map((r) => ({
    name: r.name,
    kind: r.kind,
    version: r.version,
    status: r.status,
    rulesVersion: r.rules_version,
    checkpoint: { txid: r.txid, position: r.position },
    lag: { events: r.lag_events, ms: Math.max(0, Math.round(r.lag_ms ?? 0)) },
    parked: r.parked,
    lease: { owner: r.lease_owner, expiresAt: r.lease_expires_at?.toISOString() ?? null, fence: r.lease_fence },
    updatedAt: r.updated_at.toISOString(),
    liveSince: r.live_since?.toISOString() ?? null,
  }));
}

/**
 * Has the live version of a consumer handled the event at `position`? Compared in feed
 * order, (txid, position): a checkpoint's position alone can be past an
 * event of an older transaction that it has not reached yet.
 */
export async function hasReached(db: Queryable, name: string, position: number): Promise<boolean> {
  if (position <= 0) return true;
  const { rows } = await db.query<{ reached: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM events e JOIN consumer_checkpoints c ON c.name = $1 AND c.status = 'live'
        WHERE e.global_position = $2 AND (e.txid, e.global_position) <= (c.txid, c.position)) AS reached`,
    [name, position],
  );
  return rows[0].reached;
}

const POLL_MS = 25;

/**
 * Wait until the live version of `name` has applied the event at `position`
 * (read-your-writes), or `timeoutMs` passes. Wakes early when a runner in this
 * process advances (`advanced:<name>` on `advanced`); polls for runners in
 * other processes.
 */
export async function waitForPosition(db: Queryable, name: string, position: number, timeoutMs: number, advanced?: EventEmitter): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await hasReached(db, name, position)) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await nextWake(Math.min(POLL_MS, left), advanced, `advanced:${name}`);
  }
}

function nextWake(ms: number, emitter: EventEmitter | undefined, event: string): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      emitter?.off(event, done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    emitter?.on(event, done);
  });
}

/**
 * The global position of the newest event of a correlation (a saga and what
 * it caused) committed so far. A saga starts asynchronously, so right after
 * the start this may be 0 (nothing written yet): given `waitMs`, wait that long
 * at most for its first write (the first step, with SagaStarted).
 */
export async function latestCorrelatedPosition(store: EventStore, correlationId: string, waitMs = 0): Promise<number> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const position = await store.lastPositionOf(correlationId);
    if (position > 0 || Date.now() >= deadline) return position;
    await sleep(Math.min(POLL_MS, deadline - Date.now()));
  }
}
