import { Consumers } from '../../src/consumers';
import { AppendNotifier, EventStore, START, type RecordedEvent } from '../../src/eventstore';
import { createLogger } from '../../src/log';
import { collector } from '../consumers/counting';
import { createTestDatabase, feedCaughtUp, type TestDatabase } from '../support/db';
import { Added, testRegistry } from '../support/events';

let db: TestDatabase;
let store: EventStore;

beforeAll(async () => {
  db = await createTestDatabase('feed');
  store = new EventStore(db.pool, testRegistry());
});
afterAll(() => db.drop());

/**
 * The production mechanism (src/consumers/) following the feed for one
 * collecting consumer. `reads()` counts its reads of the feed: the positive
 * signal that it looked, for a test that checks it found nothing yet.
 */
async function follow(category: string, options: { pollMs: number; notifier?: AppendNotifier }) {
  const consumer = collector(`collect-${category}`, category);
  let reads = 0;
  // The real store, its feed reads counted on the way through.
  const observed: EventStore = Object.create(store);
  observed.readAll = (...args) => (reads++, store.readAll(...args));
  const consumers = new Consumers(db.pool, observed, {
    owner: `feed-test-${category}`,
    consumers: [consumer],
    notifier: options.notifier,
    log: createLogger('silent'),
    minPollMs: 10,
    maxPollMs: options.pollMs,
    coalesceMs: 0,
  });
  await consumers.start();
  return { delivered: consumer.delivered, reads: () => reads, stop: () => consumers.stop() };
}

const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

test('a consumer never passes a transaction that commits late, and delivers it once committed', async () => {
  const sub = await follow('late', { pollMs: 20 });
  const { delivered } = sub;
  try {
    await store.append('late-a', [Added({ amount: 1 })]);
    await until(() => delivered.length === 1);

    // The slow writer appends (taking a lower global position) and stays open.
    const slow = await db.pool.connect();
    await slow.query('BEGIN');
    await store.append('late-slow', [Added({ amount: 2 })], {}, slow);

    // Others append and commit meanwhile.
    await store.append('late-b', [Added({ amount: 3 })]);
    await store.append('late-c', [Added({ amount: 4 })]);
    // b and c committed, but are behind the open transaction: the consumer reads the feed twice more and still gets nothing.
    const seen = sub.reads();
    await until(() => sub.reads() >= seen + 2);
    expect(delivered.map((e) => e.streamId)).toEqual(['late-a']);

    await slow.query('COMMIT');
    slow.release();
    await until(() => delivered.length === 4);
    expect(delivered.map((e) => e.streamId)).toEqual(['late-a', 'late-slow', 'late-b', 'late-c']);
    // Nothing delivered twice.
    expect(new Set(delivered.map((e) => e.eventId)).size).toBe(4);
    // The slow writer's event has the lower position but was delivered after waiting.
    const slowEvent = delivered.find((e) => e.streamId === 'late-slow')!;
    const bEvent = delivered.find((e) => e.streamId === 'late-b')!;
    expect(slowEvent.globalPosition).toBeLessThan(bEvent.globalPosition);
  } finally {
    await sub.stop();
  }
});

test('rolled-back appends never stall the feed', async () => {
  const tx = await db.pool.connect();
  await tx.query('BEGIN');
  await store.append('rolled-x', [Added({ amount: 1 })], {}, tx);
  await tx.query('ROLLBACK');
  tx.release();
  await store.append('rolled-y', [Added({ amount: 2 })]);
  await feedCaughtUp(db.pool);
  const events = await store.readCategory('rolled', START);
  expect(events.map((e) => e.streamId)).toEqual(['rolled-y']);
});

test('per-stream order in the feed equals stream order, under concurrent writers', async () => {
  await Promise.all(
    Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; i < 10; i++) await store.append(`order${w % 3}-s`, [Added({ amount: w * 100 + i })]);
    }),
  );
  await feedCaughtUp(db.pool);
  const feed: RecordedEvent[] = [];
  let cp = START;
  for (;;) {
    const batch = await store.readAll(cp, 7);
    if (batch.length === 0) break;
    feed.push(...batch);
    const last = batch[batch.length - 1];
    cp = { txid: last.txid, position: last.globalPosition };
  }
  for (let s = 0; s < 3; s++) {
    const positions = feed.filter((e) => e.streamId === `order${s}-s`).map((e) => e.streamPosition);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(positions.length).toBeGreaterThan(0);
  }
  // Paging with a (txid, position) checkpoint neither skips nor repeats.
  const all = await db.pool.query('SELECT count(*)::int AS n FROM events');
  expect(feed).toHaveLength(all.rows[0].n);
  expect(new Set(feed.map((e) => e.globalPosition)).size).toBe(feed.length);
});

test('an older transaction may not append after a newer one on the same stream', async () => {
  await store.append('guard-1', [Added({ amount: 1 })]);
  const older = await db.pool.connect();
  await older.query('BEGIN');
  // Take a transaction id now, before the newer writer.
  await older.query('SELECT pg_current_xact_id()');
  await store.append('guard-1', [Added({ amount: 2 })]);
  await expect(store.append('guard-1', [Added({ amount: 3 })], {}, older)).rejects.toMatchObject({ code: '40001' });
  await older.query('ROLLBACK');
  older.release();
  expect(await store.streamVersion('guard-1')).toBe(2);
});

test('NOTIFY wakes a consumer long before its poll interval', async () => {
  const notifier = new AppendNotifier(db.url);
  await notifier.start();
  const sub = await follow('wake', { pollMs: 60_000, notifier });
  const { delivered } = sub;
  try {
    await until(() => sub.reads() >= 1); // first (empty) read done, now waiting a minute
    await store.append('wake-1', [Added({ amount: 1 })]);
    await until(() => delivered.length === 1, 3000);
  } finally {
    await sub.stop();
    await notifier.stop();
  }
});

test('an announced append held back by an older open transaction is picked up soon after it ends, not a poll later', async () => {
  const notifier = new AppendNotifier(db.url);
  await notifier.start();
  const sub = await follow('held', { pollMs: 60_000, notifier });
  const { delivered } = sub;
  const blocker = await db.pool.connect();
  try {
    await until(() => sub.reads() >= 1); // first (empty) read done, now waiting a minute
    await blocker.query('BEGIN');
    await blocker.query('SELECT pg_current_xact_id()'); // an older transaction, still open
    const seen = sub.reads();
    await store.append('held-1', [Added({ amount: 1 })]); // announced, but not readable yet
    // The announcement woke it: it read, and found nothing it may deliver.
    await until(() => sub.reads() > seen, 3000);
    expect(delivered).toHaveLength(0);
    await blocker.query('COMMIT');
    await until(() => delivered.length === 1, 3000);
  } finally {
    blocker.release();
    await sub.stop();
    await notifier.stop();
  }
});

