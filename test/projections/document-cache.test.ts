import { setTimeout as sleep } from 'node:timers/promises';
import { createRegistry } from '../../src/app';
import { hasReached, replayDeadLetter } from '../../src/consumers';
import { StockAdded } from '../../src/domain';
import { EventStore } from '../../src/eventstore';
import { documentProjection, projectionConsumer } from '../../src/projections';
import { allEventIds, bareGroup, countingProjection, createCountingTable } from '../consumers/counting';
import { createTestDatabase, type TestDatabase } from '../support/db';

/**
 * A document projection keeps the rows it wrote in memory while it holds the
 * lease, and reads only what it has not seen. These tests check that what it
 * folds from is always what is committed: after a failed batch, and after a
 * replay wrote one of its rows behind its back.
 */
let db: TestDatabase;
let store: EventStore;

beforeAll(async () => {
  db = await createTestDatabase('document_cache');
  store = new EventStore(db.pool, createRegistry());
  await db.pool.query(`CREATE TABLE test_tallies (version int NOT NULL, sku text NOT NULL, state jsonb NOT NULL, total int NOT NULL, PRIMARY KEY (version, sku))`);
});
afterAll(() => db.drop());

/** Each SKU's quantities in the order folded; a quantity in `poisoned` cannot be folded. */
function tallies(poisoned: Set<number>) {
  return documentProjection<{ seen: number[] }>({
    name: 'tallies',
    rulesVersion: 1,
    table: 'test_tallies',
    keyColumn: 'sku',
    categories: ['inventory'],
    evolve: (state, event) => {
      const { quantity } = event.data as { quantity: number };
      if (poisoned.has(quantity)) throw new Error(`cannot fold ${quantity}`);
      return { seen: [...(state?.seen ?? []), quantity] };
    },
    columns: { total: 'int' },
    toColumns: (state) => ({ total: state.seen.reduce((a, b) => a + b, 0) }),
  });
}

const seen = async (sku: string) =>
  (await db.pool.query<{ state: { seen: number[] } }>(`SELECT state FROM test_tallies WHERE version = 1 AND sku = $1`, [sku])).rows[0]?.state.seen;

async function drain(g: { tick(): Promise<number> }): Promise<void> {
  const { position } = await store.head();
  for (let i = 0; i < 1000 && !(await hasReached(db.pool, 'tallies', position)); i++) if ((await g.tick()) === 0) await sleep(5);
  expect(await hasReached(db.pool, 'tallies', position)).toBe(true);
}

test('folds from what is committed: after a failed batch, and after a replay wrote a row behind the cache', async () => {
  const poisoned = new Set([13]);
  const consumer = projectionConsumer(tallies(poisoned));
  const { group: g, pool } = await bareGroup(db.url, store, [consumer], 'tallies-owner', { maxAttempts: 2, retryBaseMs: 1 });
  const add = async (quantity: number) => (await store.append('inventory-tally', [StockAdded({ quantity })])).lastPosition;
  try {
    await add(1);
    await add(2);
    await drain(g);
    expect(await seen('tally')).toEqual([1, 2]);

    // The batch [13, 3] fails; retried one by one, 13 is parked and 3 is folded onto [1, 2], not onto a half-done batch.
    const poison = await add(13);
    await add(3);
    await drain(g);
    expect(await seen('tally')).toEqual([1, 2, 3]);

    // Fixed and replayed: the replay writes the row itself, and raises the fence.
    poisoned.clear();
    expect(await replayDeadLetter(db.pool, store, consumer, poison)).toEqual([{ version: 1, replayed: true }]);
    expect(await seen('tally')).toEqual([1, 2, 3, 13]);

    // The owner's next round is refused, it takes the lease again under the new fence with an empty cache, and folds from the row as the replay left it.
    await add(4);
    await drain(g);
    expect(await seen('tally')).toEqual([1, 2, 3, 13, 4]);
  } finally {
    await g.stop();
    await pool.end();
  }
});

test('a round given up because another consumer failed leaves nothing behind in this one’s cache', async () => {
  const failing = countingProjection('tallies-neighbour');
  await createCountingTable(db.pool);
  const tally = projectionConsumer(tallies(new Set()));
  await db.pool.query(`DELETE FROM test_tallies`);
  await db.pool.query(`DELETE FROM consumer_checkpoints WHERE name = 'tallies'`);
  const { group: g, pool } = await bareGroup(db.url, store, [projectionConsumer(failing), tally], 'tallies-pair', { retryBaseMs: 1 });
  try {
    await store.append('inventory-pair', [StockAdded({ quantity: 5 }), StockAdded({ quantity: 6 })]);
    // The neighbour fails the shared batch at once, while the tally is still reading its rows.
    for (const id of await allEventIds(db.pool)) failing.failures.set(id, 1);
    await drain(g);
    expect(await seen('pair')).toEqual([5, 6]);
  } finally {
    await g.stop();
    await pool.end();
  }
});

test('a round refused because another process moved the checkpoint first leaves nothing behind in the cache', async () => {
  await db.pool.query(`DELETE FROM test_tallies`);
  await db.pool.query(`DELETE FROM consumer_checkpoints WHERE name = 'tallies'`);
  const consumer = projectionConsumer(tallies(new Set()));
  // Two "processes" with the same executor id (a misconfiguration): the same fence, so neither drops its cache on a claim.
  const groups = await Promise.all([0, 1].map(() => bareGroup(db.url, store, [consumer], 'tallies-twins', { batchSize: 2 })));
  try {
    for (let q = 1; q <= 12; q++) await store.append('inventory-twins', [StockAdded({ quantity: q })]);
    const { position } = await store.head();
    for (let i = 0; i < 300 && !(await hasReached(db.pool, 'tallies', position)); i++) {
      // Each process runs one round at a time (as its poll loop does); the two run at once.
      await Promise.all(groups.map(({ group: g }) => g.tick()));
    }
    expect(await seen('twins')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  } finally {
    for (const { group: g, pool } of groups) {
      await g.stop();
      await pool.end();
    }
  }
});
