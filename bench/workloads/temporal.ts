import { isDeepStrictEqual } from 'node:util';
import { domainEvents, inventoryDecider, type InventoryEvent, type InventoryState } from '../../src/domain';
import { EventRegistry, EventStore, loadAggregate, SnapshotStore, type NewEvent } from '../../src/eventstore';
import type { BenchContext } from '../lib/profile';
import { check, fmt, ratio, type WorkloadResult } from '../lib/report';
import { now, summarize, type Summary } from '../lib/stats';

/**
 * Workload 5: the state of one 10,000-event inventory stream as of a time in
 * the middle, through loadAggregate with and without snapshots (one every 50
 * events, the service's default). "Latest state" is shown beside it.
 */
const SNAPSHOT_EVERY = 50;
const BATCH = 100;
const STREAM = 'inventory-temporal-bench';

/** add 3, reserve 1, commit it: a realistic stream whose state stays small. */
function eventAt(position: number): NewEvent {
  const order = `order-${Math.ceil(position / 3)}`;
  switch (position % 3) {
    case 1:
      return { type: 'StockAdded', data: { quantity: 3 } };
    case 2:
      return { type: 'StockReserved', data: { orderId: order, quantity: 1 } };
    default:
      return { type: 'ReservationCommitted', data: { orderId: order, quantity: 1 } };
  }
}

export async function temporalWorkload(ctx: BenchContext): Promise<WorkloadResult> {
  const { profile, progress } = ctx;
  const total = profile.temporal.events;
  const db = await ctx.server.createDatabase('w5_temporal', { migrate: true });
  const store = new EventStore(db.pool, new EventRegistry(domainEvents), { notify: false });
  const snapshots = new SnapshotStore(db.pool, SNAPSHOT_EVERY);

  progress(`w5: writing ${total} events and their snapshots`);
  // Batches of 100: each batch one transaction, so one recorded_at per batch.
  let state: InventoryState = inventoryDecider.initialState();
  for (let from = 1; from <= total; from += BATCH) {
    const events = Array.from({ length: BATCH }, (_, k) => eventAt(from + k));
    await store.append(STREAM, events, { expected: from - 1 });
    for (const [k, e] of events.entries()) {
      state = inventoryDecider.evolve(state, e as InventoryEvent);
      const position = from + k;
      if (position % SNAPSHOT_EVERY === 0) {
        await snapshots.save(STREAM, inventoryDecider.name, inventoryDecider.version, position, state);
      }
    }
  }
  await db.pool.query('VACUUM ANALYZE events');
  await db.pool.query('VACUUM ANALYZE snapshots');
  const middle = Math.floor(total / 2);
  const { rows } = await db.pool.query<{ at: Date }>(
    'SELECT recorded_at AS at FROM events WHERE stream_id = $1 AND stream_position = $2',
    [STREAM, middle],
  );
  const asOf = rows[0].at;

  const load = (options: { asOf?: Date; noSnapshot?: boolean }) =>
    loadAggregate(store, snapshots, inventoryDecider, STREAM, options);
  const time = async (options: { asOf?: Date; noSnapshot?: boolean }) => {
    const latencies: number[] = [];
    let folded = 0;
    let version = 0;
    for (let i = 0; i < profile.temporal.iterations; i++) {
      const t = now();
      const loaded = await load(options);
      latencies.push(now() - t);
      folded = loaded.eventsFolded;
      version = loaded.version;
    }
    return { ...summarize(latencies), folded, version };
  };

  progress('w5: as-of queries');
  for (let i = 0; i < 5; i++) await Promise.all([load({ asOf }), load({ asOf, noSnapshot: true })]); // warm-up
  const withSnap = await time({ asOf });
  const without = await time({ asOf, noSnapshot: true });
  const latestWith = await time({});
  const latestWithout = await time({ noSnapshot: true });
  // jsonb reorders keys, so compare structurally, not as text.
  const same = isDeepStrictEqual((await load({ asOf })).state, (await load({ asOf, noSnapshot: true })).state);

  const row = (label: string, s: Summary & { folded: number; version: number }) => [label, s.version, s.folded, s.p50, s.p99];
  const speedup = without.p50 / withSnap.p50;
  return {
    name: 'temporal',
    tables: [
      {
        title: `Workload 5: temporal query on one stream of ${fmt(total)} events (${profile.temporal.iterations} queries each)`,
        headers: ['query', 'state at version', 'events folded', 'p50 ms', 'p99 ms'],
        rows: [
          row('as of a time in the middle, with snapshots', withSnap),
          row('as of a time in the middle, without', without),
          row('latest state, with snapshots', latestWith),
          row('latest state, without', latestWithout),
        ],
        notes: [
          `snapshots every ${SNAPSHOT_EVERY} events; with/without: ${ratio(without.p50, withSnap.p50)} at p50; ` +
            `both paths give the same state: ${same ? 'yes' : 'NO'}`,
        ],
      },
    ],
    targets: [
      check(
        'W5 temporal query with snapshots',
        '< 10 ms',
        `${fmt(withSnap.p50)} ms p50 (p99 ${fmt(withSnap.p99)})`,
        withSnap.p50 < 10 && same,
      ),
      check(
        'W5 snapshots speed-up',
        '>= 10x',
        `${speedup.toFixed(1)}x (${fmt(without.p50)} vs ${fmt(withSnap.p50)} ms)`,
        speedup >= 10,
        'the tail read after the snapshot filters recorded_at <= asOf row by row over the rest of the stream',
      ),
    ],
    data: { events: total, snapshotEvery: SNAPSHOT_EVERY, asOf, withSnapshots: withSnap, without, latestWith, latestWithout, same },
  };
}
