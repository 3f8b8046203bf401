import { randomUUID } from 'node:crypto';
import { domainEvents } from '../../src/domain';
import { EventRegistry, EventStore } from '../../src/eventstore';
import type { BenchDb } from './postgres';
import { now, summarize } from './stats';

/**
 * Appends to the event store against the same event rows written by a raw pg
 * INSERT into the same events table (same indexes; no version check, no
 * streams row, no NOTIFY). 1000 streams; each client owns its own streams, so
 * expected versions never conflict and what is measured is the append itself.
 */
export const STREAMS = 1000;

export type Writer = (streamId: string, expected: number, size: number) => Promise<void>;

export function appendWriters(db: BenchDb) {
  const registry = new EventRegistry(domainEvents);
  const event = { type: 'StockAdded', data: { quantity: 1 } };
  const through = (store: EventStore): Writer => async (streamId, expected, size) => {
    await store.append(streamId, Array.from({ length: size }, () => event), { expected });
  };
  const ours = through(new EventStore(db.pool, registry));
  const quiet = through(new EventStore(db.pool, registry, { notify: false }));
  const raw: Writer = async (streamId, expected, size) => {
    await db.pool.query(
      `INSERT INTO events (stream_id, stream_type, stream_position, event_id, type, schema_version, data, metadata, recorded_at)
       SELECT $1, split_part($1, '-', 1), $2 + u.n, u.id, 'StockAdded', 1, u.data, '{}', now()
         FROM unnest($3::uuid[], $4::jsonb[]) WITH ORDINALITY AS u(id, data, n)`,
      [
        streamId,
        expected,
        Array.from({ length: size }, () => randomUUID()),
        Array.from({ length: size }, () => JSON.stringify(event.data)),
      ],
    );
  };
  return { ours, quiet, raw };
}

/** `ops` appends of `size` events by `concurrency` clients; latency per append. */
export async function runAppends(write: Writer, prefix: string, ops: number, size: number, concurrency: number) {
  const latencies: number[] = [];
  const started = now();
  const client = async (w: number) => {
    // Client w owns streams w, w + c, w + 2c, ... and knows their versions.
    const mine = Array.from({ length: Math.ceil((STREAMS - w) / concurrency) }, (_, k) => `${prefix}-${w + k * concurrency}`);
    const versions = new Map<string, number>();
    for (let i = w, k = 0; i < ops; i += concurrency, k++) {
      const stream = mine[k % mine.length];
      const expected = versions.get(stream) ?? 0;
      const t = now();
      await write(stream, expected, size);
      latencies.push(now() - t);
      versions.set(stream, expected + size);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => client(w)));
  const seconds = (now() - started) / 1000;
  const s = summarize(latencies);
  return { eventsPerSecond: (ops * size) / seconds, p50: s.p50, p99: s.p99 };
}

