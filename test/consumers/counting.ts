import { EventEmitter } from 'node:events';
import { ConsumerGroup, ensureConsumer, FeedReader, type Consumer, type GroupOptions } from '../../src/consumers';
import { createPool, type Pool } from '../../src/db/pool';
import { EventStore, type RecordedEvent } from '../../src/eventstore';
import { createLogger } from '../../src/log';
import type { Projection } from '../../src/projections';

/**
 * A projection that counts how many times each event was applied to each of
 * its versions, so a test can see an event applied twice (or never). Events
 * listed in `failures` throw that many times before applying (Infinity: always).
 */
export interface CountingProjection extends Projection {
  failures: Map<string, number>;
  /** Calls to apply that threw, per event id. */
  thrown: Map<string, number>;
}

export async function createCountingTable(pool: Pool): Promise<void> {
  await pool.query(`CREATE TABLE IF NOT EXISTS test_applications (
    projection text NOT NULL, version integer NOT NULL, event_id uuid NOT NULL, applied integer NOT NULL,
    PRIMARY KEY (projection, version, event_id))`);
}

export function countingProjection(name: string, rulesVersion = 1): CountingProjection {
  const failures = new Map<string, number>();
  const thrown = new Map<string, number>();
  return {
    name,
    rulesVersion,
    failures,
    thrown,
    async apply(events, { version }) {
      for (const e of events) {
        const left = failures.get(e.eventId) ?? 0;
        if (left > 0) {
          failures.set(e.eventId, left - 1);
          thrown.set(e.eventId, (thrown.get(e.eventId) ?? 0) + 1);
          throw new Error(`poisoned: ${e.type} ${e.eventId}`);
        }
      }
      return [
        {
          text: `INSERT INTO test_applications (projection, version, event_id, applied) SELECT $1, $2, id, 1 FROM unnest($3::uuid[]) AS id
                  ON CONFLICT (projection, version, event_id) DO UPDATE SET applied = test_applications.applied + 1`,
          values: [name, version, events.map((e) => e.eventId)],
        },
      ];
    },
    async drop(db, version) {
      await db.query('DELETE FROM test_applications WHERE projection = $1 AND version = $2', [name, version]);
    },
  };
}

/** event id → times applied, for one version. */
export async function applications(pool: Pool, name: string, version = 1): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ event_id: string; applied: number }>(
    'SELECT event_id, applied FROM test_applications WHERE projection = $1 AND version = $2',
    [name, version],
  );
  return new Map(rows.map((r) => [r.event_id, r.applied]));
}

export async function allEventIds(pool: Pool): Promise<string[]> {
  const { rows } = await pool.query<{ event_id: string }>('SELECT event_id FROM events ORDER BY global_position');
  return rows.map((r) => r.event_id);
}

/** A group on its own pool (as another process would have), not started: tests drive its rounds with tick(). */
export async function bareGroup(
  url: string,
  store: EventStore,
  consumers: Consumer[],
  owner: string,
  tuning: Partial<GroupOptions> = {},
): Promise<{ group: ConsumerGroup; feed: FeedReader; pool: Pool }> {
  const pool = createPool(url, 4);
  for (const c of consumers) await ensureConsumer(pool, c.name, c.kind, c.rulesVersion);
  const feed = new FeedReader(new EventStore(pool, store.registry));
  const deps = { pool, feed, advanced: new EventEmitter(), log: createLogger('silent'), cleanUp: async () => {} };
  const options: GroupOptions = { owner, batchSize: 500, leaseTtlMs: 10_000, minPollMs: 5, maxPollMs: 20, coalesceMs: 0, maxAttempts: 3, retryBaseMs: 5, ...tuning };
  return { group: new ConsumerGroup(deps, consumers, options), feed, pool };
}

/** A consumer that keeps what it is handed, of one category (feed tests). */
export function collector(name: string, category: string): Consumer & { delivered: RecordedEvent[] } {
  const delivered: RecordedEvent[] = [];
  return {
    name,
    kind: 'process-manager',
    rulesVersion: 1,
    delivery: 'effect',
    delivered,
    wants: (event) => event.streamType === category,
    handle: async (events) => void delivered.push(...events),
  };
}
