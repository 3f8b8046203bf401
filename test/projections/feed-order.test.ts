import { createRegistry } from '../../src/app';
import { EventStore, START } from '../../src/eventstore';
import { createTestDatabase, type TestDatabase } from '../support/db';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('feed_order');
});
afterAll(() => db.drop());

/**
 * Regression: the feed selects `txid::text AS txid`, and a bare ORDER BY txid
 * sorted by that text ("1029" before "761"). A checkpoint taken from such a
 * batch jumped over every event of a transaction id with fewer digits: on a
 * fresh cluster, projections built from zero silently missed their first events.
 */
test('the feed orders events by transaction id as a number, not as text', async () => {
  // Ids far below any running transaction, one digit apart, inserted out of order.
  for (const [txid, n] of [['10', 1], ['9', 2]] as const) {
    await db.pool.query(
      `INSERT INTO events (txid, stream_id, stream_type, stream_position, event_id, type, schema_version, data, recorded_at)
       VALUES ($1::xid8, $2, 'inventory', 1, gen_random_uuid(), 'StockAdded', 1, '{"quantity": 1}', now())`,
      [txid, `inventory-feed-${n}`],
    );
  }
  const store = new EventStore(db.pool, createRegistry());
  const [first] = await store.readAll(START, 1);
  expect(first.txid).toBe('9');
  const rest = await store.readAll({ txid: first.txid, position: first.globalPosition }, 10);
  expect(rest.map((e) => e.txid)).toEqual(['10']);
});
