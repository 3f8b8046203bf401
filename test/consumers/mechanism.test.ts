import { setTimeout as sleep } from 'node:timers/promises';
import { createRegistry } from '../../src/app';
import { Consumers, hasReached, raiseFence, type Consumer, type ConsumersOptions } from '../../src/consumers';
import { createPool, inTransaction, type Pool } from '../../src/db/pool';
import { StockAdded } from '../../src/domain';
import { EventStore } from '../../src/eventstore';
import { createLogger } from '../../src/log';
import { projectionConsumer } from '../../src/projections';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { allEventIds, applications, bareGroup, countingProjection, createCountingTable, type CountingProjection } from './counting';

/**
 * The consumer mechanism (src/consumers/) as production runs it: groups,
 * leases, checkpoints, retries, dead letters, rebuilds. Consumers here are
 * counting projections (each application recorded) so that an event applied
 * twice, or never, shows.
 */
let db: TestDatabase;
let store: EventStore;
const pools: Pool[] = [];
const running: Consumers[] = [];
const log = createLogger('silent');

beforeAll(async () => {
  db = await createTestDatabase('consumers');
  store = new EventStore(db.pool, createRegistry());
  await createCountingTable(db.pool);
});
afterAll(async () => {
  await Promise.all(running.map((p) => p.stop()));
  await Promise.all(pools.map((p) => p.end()));
  await db.drop();
});

/** Its own pool, as another process would have. */
function runnerFor(projection: CountingProjection | Consumer[], owner: string, tuning: Partial<ConsumersOptions> = {}): Consumers {
  const pool = createPool(db.url, 4);
  pools.push(pool);
  const consumers = new Consumers(pool, new EventStore(pool, createRegistry()), {
    owner,
    consumers: Array.isArray(projection) ? projection : [projectionConsumer(projection)],
    log,
    batchSize: 4,
    minPollMs: 5,
    maxPollMs: 20,
    coalesceMs: 0,
    retryBaseMs: 5,
    ...tuning,
  });
  running.push(consumers);
  return consumers;
}

async function group(consumers: Consumer[], owner: string, tuning: Parameters<typeof bareGroup>[4] = {}) {
  const made = await bareGroup(db.url, store, consumers, owner, tuning);
  pools.push(made.pool);
  return made;
}

let n = 0;
async function write(count: number): Promise<number[]> {
  const positions: number[] = [];
  for (let i = 0; i < count; i++) {
    const result = await store.append(`inventory-runner-${n++ % 5}`, [StockAdded({ quantity: 1 })]);
    positions.push(result.lastPosition);
  }
  return positions;
}

async function head(): Promise<number> {
  return (await store.head()).position;
}

/**
 * Rounds until the consumer has applied everything committed. "Nothing to
 * read" is not enough: the feed also holds back while any older transaction
 * (in any database of the cluster) is still running.
 */
async function drain(g: { tick(): Promise<number> }, name: string): Promise<void> {
  const target = await head();
  for (let i = 0; i < 1000 && !(await hasReached(db.pool, name, target)); i++) {
    if ((await g.tick()) === 0) await sleep(5);
  }
}

async function expectEachAppliedOnce(name: string, version = 1): Promise<void> {
  const applied = await applications(db.pool, name, version);
  const ids = await allEventIds(db.pool);
  expect([...applied.values()].filter((times) => times !== 1)).toEqual([]);
  expect(applied.size).toBe(ids.length);
}

test('two processes on one database never apply an event twice, and a crashed owner’s lease is taken over', async () => {
  const name = 'count-two-runners';
  const a = runnerFor(countingProjection(name), 'runner-a', { leaseTtlMs: 300 });
  const b = runnerFor(countingProjection(name), 'runner-b', { leaseTtlMs: 300 });
  await write(20);
  await a.start();
  expect(await a.waitForPosition(name, await head(), 5000)).toBe(true);
  await b.start();
  const writing = write(40);
  await sleep(30);
  const [before] = await a.status({ name });
  expect(before.lease.owner).toBe('runner-a');
  await a.stop({ releaseLeases: false }); // a crash: the lease is left to expire
  await writing;
  expect(await b.waitForPosition(name, await head(), 5000)).toBe(true);
  const [after] = await b.status({ name });
  expect(after.lease.owner).toBe('runner-b');
  expect(after.lease.fence).toBeGreaterThan(before.lease.fence);
  await expectEachAppliedOnce(name);
});

test('processes that both believe they hold the lease still take turns: a checkpoint only moves from where it was (compare-and-set)', async () => {
  const name = 'count-same-owner';
  const consumer = projectionConsumer(countingProjection(name));
  await write(60);
  // Two "processes" with the same executor id (a misconfiguration), rounds fired all at once.
  const groups = await Promise.all([0, 1].map(() => group([consumer], 'same-owner', { batchSize: 3 })));
  for (let round = 0; round < 200 && !(await hasReached(db.pool, name, await head())); round++) {
    await Promise.all(groups.flatMap(({ group: g }) => Array.from({ length: 3 }, () => g.tick())));
  }
  expect(await hasReached(db.pool, name, await head())).toBe(true);
  await expectEachAppliedOnce(name);
});

test('a live lease fences out another owner until it expires; the old owner’s next write is refused', async () => {
  const name = 'count-fencing';
  const consumer = projectionConsumer(countingProjection(name));
  await write(3);
  const a = await group([consumer], 'a', { batchSize: 1 });
  const b = await group([consumer], 'b', { batchSize: 1 });
  const position = async () => (await db.pool.query(`SELECT position, lease_owner FROM consumer_checkpoints WHERE name = $1`, [name])).rows[0];
  await a.group.tick();
  const afterA = await position();
  expect(afterA.lease_owner).toBe('a');
  await b.group.tick();
  expect(await position()).toEqual(afterA); // b holds no lease: it did nothing
  await db.pool.query(`UPDATE consumer_checkpoints SET lease_expires_at = now() - interval '1 second' WHERE name = $1`, [name]);
  b.group.reclaim(); // its next claim (every third of the lease) comes now
  await b.group.tick();
  const afterB = await position();
  expect(afterB.lease_owner).toBe('b');
  expect(afterB.position).toBeGreaterThan(afterA.position);
  // a still believes it owns the lease (its claim is fresh): its round is refused and rolls back.
  await a.group.tick();
  expect((await position()).lease_owner).toBe('b');
  await drain(b.group, name);
  await expectEachAppliedOnce(name);
});

test('a poison event is retried, parked with its error, and the rest is applied; replay applies it once fixed', async () => {
  const name = 'count-poison';
  const projection = countingProjection(name);
  const positions = await write(10);
  const ids = await allEventIds(db.pool);
  const [flaky, poison] = [ids[ids.length - 8], ids[ids.length - 5]];
  projection.failures.set(flaky, 2);
  projection.failures.set(poison, Infinity);
  const runner = runnerFor(projection, 'poison-runner', { batchSize: 50, maxAttempts: 3 });
  await runner.start();
  expect(await runner.waitForPosition(name, positions[9], 5000)).toBe(true);

  const applied = await applications(db.pool, name);
  expect(applied.has(poison)).toBe(false);
  expect(applied.get(flaky)).toBe(1);
  expect(ids.filter((id) => id !== poison).every((id) => applied.get(id) === 1)).toBe(true);
  const parked = await runner.deadLetters(name);
  expect(parked).toEqual([
    expect.objectContaining({ position: positions[5], eventId: poison, type: 'StockAdded', attempts: 3, error: expect.stringContaining('poisoned'), replayedAt: null }),
  ]);
  expect((await runner.status({ name }))[0].parked).toBe(1);

  // Still failing: stays parked, one attempt more.
  expect(await runner.replay(name, positions[5])).toEqual([{ version: 1, replayed: false, error: expect.stringContaining('poisoned') }]);
  expect((await runner.deadLetters(name))[0].attempts).toBe(4);

  projection.failures.delete(poison);
  expect(await runner.replay(name, positions[5])).toEqual([{ version: 1, replayed: true }]);
  expect((await applications(db.pool, name)).get(poison)).toBe(1);
  expect(await runner.deadLetters(name)).toEqual([]);
  expect(await runner.deadLetters(name, { includeReplayed: true })).toEqual([expect.objectContaining({ eventId: poison, replayedAt: expect.any(String) })]);
  expect(await runner.replay(name, positions[5])).toEqual([]);
  expect((await runner.status({ name }))[0].parked).toBe(0);
});

test('read-your-writes compares in feed order: a checkpoint past a position may not have applied it yet', async () => {
  const name = 'count-feed-order';
  const projection = countingProjection(name);
  const one = await group([projectionConsumer(projection)], 'x', { batchSize: 1 });
  await drain(one.group, name);

  // An older transaction writes after a younger one: its event has the higher
  // position but comes first in the feed.
  const older = await db.pool.connect();
  try {
    await older.query('BEGIN');
    await older.query('SELECT pg_current_xact_id()');
    const [younger] = await write(1);
    const elder = (await store.append('inventory-elder', [StockAdded({ quantity: 1 })], {}, older)).lastPosition;
    await older.query('COMMIT');
    expect(elder).toBeGreaterThan(younger);

    // Retried: a transaction open elsewhere on the server may still hold both back for a moment.
    for (let i = 0; i < 200 && !(await hasReached(db.pool, name, elder)); i++) if ((await one.group.tick()) === 0) await sleep(10);
    expect(await hasReached(db.pool, name, elder)).toBe(true);
    expect(await hasReached(db.pool, name, younger)).toBe(false);

    await one.group.stop();
    const consumers = runnerFor(projection, 'x');
    const started = Date.now();
    expect(await consumers.waitForPosition(name, younger, 100)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    const waiting = consumers.waitForPosition(name, younger, 5000);
    await consumers.start();
    expect(await waiting).toBe(true);
  } finally {
    older.release();
  }
});

test('new rules rebuild the projection beside the live version, then the old rows are dropped', async () => {
  const name = 'count-rules';
  const v1 = runnerFor(countingProjection(name, 1), 'rules-1');
  await write(5);
  await v1.start();
  expect(await v1.waitForPosition(name, await head(), 5000)).toBe(true);
  await v1.stop();

  const v2 = runnerFor(countingProjection(name, 2), 'rules-2');
  await v2.start();
  for (let i = 0; i < 200 && (await v2.status({ name })).some((s) => s.version !== 2); i++) await sleep(10);
  expect((await v2.status({ name })).map((s) => [s.version, s.status, s.rulesVersion])).toEqual([[2, 'live', 2]]);
  expect(await v2.waitForPosition(name, await head(), 5000)).toBe(true);
  await expectEachAppliedOnce(name, 2);
  for (let i = 0; i < 100 && (await applications(db.pool, name, 1)).size > 0; i++) await sleep(10);
  expect((await applications(db.pool, name, 1)).size).toBe(0);
});

test('one feed read serves every consumer at that position; a round with nothing to do writes nothing', async () => {
  const names = ['count-shared-1', 'count-shared-2', 'count-shared-3'];
  const consumers = names.map((name) => projectionConsumer(countingProjection(name)));
  const { group: g, feed } = await group(consumers, 'shared', { leaseTtlMs: 600_000 });
  await drain(g, names[0]);
  await write(12);
  const target = await head();
  const readsBefore = feed.reads;
  let rounds = 0;
  for (; rounds < 200 && !(await hasReached(db.pool, names[2], target)); rounds++) if ((await g.tick()) === 0) await sleep(5);
  for (const name of names) expect(await hasReached(db.pool, name, target)).toBe(true);
  // One read per round for the three of them (empty ones too, while another test file's transaction held the feed back).
  expect(feed.reads - readsBefore).toBe(rounds);
  for (const name of names) await expectEachAppliedOnce(name);

  const rows = async () => (await db.pool.query(`SELECT name, updated_at, lease_expires_at FROM consumer_checkpoints WHERE name = ANY($1) ORDER BY name`, [names])).rows;
  const before = await rows();
  const reads = feed.reads;
  await g.tick();
  expect(feed.reads - reads).toBe(1);
  expect(await rows()).toEqual(before);
});


test('a round’s writes and its checkpoint commit together: a fence raised while the round folds refuses both, and the batch is applied once after', async () => {
  const name = 'count-fence-mid-round';
  const projection = countingProjection(name);
  let hold: Promise<void> | undefined;
  const held = { ...projection, apply: async (...args: Parameters<typeof projection.apply>) => (await hold, projection.apply(...args)) };
  const { group: g } = await group([projectionConsumer(held)], 'mid-round', { batchSize: 500 });
  await g.tick(); // takes the lease
  await drain(g, name);
  await write(4);
  const checkpointOf = async () => (await db.pool.query(`SELECT position, lease_fence FROM consumer_checkpoints WHERE name = $1`, [name])).rows[0];
  const before = await checkpointOf();

  let release!: () => void;
  hold = new Promise<void>((resolve) => (release = resolve));
  const round = g.tick();
  // The round is under way (its fold waits for the release): a replay, say, raises the fence meanwhile.
  await inTransaction(db.pool, (tx) => raiseFence(tx, name, 1));
  release();
  await round;
  hold = undefined;
  expect(await checkpointOf()).toEqual({ position: before.position, lease_fence: before.lease_fence + 1 });
  expect((await applications(db.pool, name)).size).toBe((await allEventIds(db.pool)).length - 4);

  await drain(g, name);
  await expectEachAppliedOnce(name);
});
