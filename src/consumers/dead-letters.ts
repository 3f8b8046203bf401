import type { Pool } from '../db/pool';
import { inTransaction } from '../db/pool';
import type { EventStore, Queryable, RecordedEvent } from '../eventstore';
import { raiseFence } from './checkpoints';
import type { Consumer } from './consumer';

/**
 * Events a consumer could not handle after its retries. They are parked
 * (KurrentDB's term) so one bad event does not stop the consumer; an operator
 * lists them and replays them once the cause is fixed.
 */
export interface DeadLetter {
  consumer: string;
  version: number;
  position: number;
  eventId: string;
  streamId: string;
  type: string;
  error: string;
  attempts: number;
  parkedAt: string;
  lastAttemptAt: string;
  replayedAt: string | null;
}

export const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 4000);

export async function parkEvent(db: Queryable, name: string, version: number, event: RecordedEvent, err: unknown, attempts: number): Promise<void> {
  await db.query(
    `INSERT INTO consumer_dead_letters (consumer, version, global_position, event_id, stream_id, event_type, error, attempts)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (consumer, version, global_position) DO UPDATE
       SET error = EXCLUDED.error, attempts = consumer_dead_letters.attempts + EXCLUDED.attempts,
           last_attempt_at = now(), replayed_at = NULL`,
    [name, version, event.globalPosition, event.eventId, event.streamId, event.type, messageOf(err), attempts],
  );
}

interface Row {
  consumer: string;
  version: number;
  global_position: number;
  event_id: string;
  stream_id: string;
  event_type: string;
  error: string;
  attempts: number;
  parked_at: Date;
  last_attempt_at: Date;
  replayed_at: Date | null;
}

const toDeadLetter = (r: Row): DeadLetter => ({
  consumer: r.consumer,
  version: r.version,
  position: r.global_position,
  eventId: r.event_id,
  streamId: r.stream_id,
  type: r.event_type,
  error: r.error,
  attempts: r.attempts,
  parkedAt: r.parked_at.toISOString(),
  lastAttemptAt: r.last_attempt_at.toISOString(),
  replayedAt: r.replayed_at?.toISOString() ?? null,
});

/** Parked events of the live and rebuilding versions, oldest first; replayed ones too when asked. */
export async function listDeadLetters(db: Queryable, name: string, options: { includeReplayed?: boolean; limit?: number } = {}): Promise<DeadLetter[]> {
  const { rows } = await db.query<Row>(
    `SELECT d.* FROM consumer_dead_letters d
       JOIN consumer_checkpoints c ON c.name = d.consumer AND c.version = d.version AND c.status <> 'retired'
      WHERE d.consumer = $1 AND ($2 OR d.replayed_at IS NULL)
      ORDER BY d.global_position, d.version LIMIT $3`,
    [name, options.includeReplayed ?? false, options.limit ?? 1000],
  );
  return rows.map(toDeadLetter);
}

export interface ReplayResult {
  version: number;
  replayed: boolean;
  error?: string;
}

/**
 * Handle a parked event again, for each version that parked it, under the
 * version's row lock and a raised fence (so never interleaved with its
 * batches: one that read before the replay has its move refused). The checkpoint
 * does not move: the event is handled where the consumer is now. A failure
 * leaves it parked with the new error and one more attempt.
 * Returns an empty list when nothing is parked at that position.
 */
export async function replayDeadLetter(pool: Pool, store: EventStore, consumer: Consumer, position: number): Promise<ReplayResult[]> {
  const parked = await listDeadLetters(pool, consumer.name);
  const versions = parked.filter((d) => d.position === position).map((d) => d.version);
  const results: ReplayResult[] = [];
  for (const version of versions) {
    const result = await inTransaction(pool, async (tx): Promise<ReplayResult | undefined> => {
      await raiseFence(tx, consumer.name, version);
      const key = [consumer.name, version, position];
      const { rowCount } = await tx.query(
        `SELECT 1 FROM consumer_dead_letters WHERE consumer = $1 AND version = $2 AND global_position = $3 AND replayed_at IS NULL FOR UPDATE`,
        key,
      );
      if (!rowCount) return undefined; // replayed meanwhile
      await tx.query('SAVEPOINT replay');
      try {
        // Reading decodes strictly: an event that still cannot be decoded fails here.
        const events = await store.readPositions([position], tx);
        const writes = await consumer.handle(events, consumer.delivery === 'transaction' ? { version, db: tx } : { version });
        for (const write of writes ?? []) await tx.query(write.text, write.values);
        await tx.query(
          `UPDATE consumer_dead_letters SET replayed_at = now(), last_attempt_at = now(), attempts = attempts + 1
            WHERE consumer = $1 AND version = $2 AND global_position = $3`,
          key,
        );
        return { version, replayed: true };
      } catch (err) {
        await tx.query('ROLLBACK TO SAVEPOINT replay');
        await tx.query(
          `UPDATE consumer_dead_letters SET error = $4, last_attempt_at = now(), attempts = attempts + 1
            WHERE consumer = $1 AND version = $2 AND global_position = $3`,
          [...key, messageOf(err)],
        );
        return { version, replayed: false, error: messageOf(err) };
      }
    });
    if (result) results.push(result);
  }
  return results;
}
