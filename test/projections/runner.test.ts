import { setTimeout as sleep } from 'node:timers/promises';
import { createRegistry } from '../../src/app';
import { createPool, type Pool } from '../../src/db/pool';
import { StockAdded } from '../../src/domain';
import { EventStore } from '../../src/eventstore';
import { createLogger } from '../../src/log';
import { Projections, type ProjectionsOptions } from '../../src/projections';
import { runBatch, type BatchContext } from '../../src/projections/batch';
import { ensureProjection } from '../../src/projections/checkpoints';
import { hasReached } from '../../src/projections/status';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { allEventIds, applications, countingProjection, createCountingTable, type CountingProjection } from './support/counting';

let db: TestDatabase;
let store: EventStore;
const pools: Pool[] = [];
const running: Projections[] = [];
const log = createLogger('silent');

beforeAll(async () => {
  db = await createTestDatabase('projection_runner');
  store = new EventStore(db.pool, createRegistry());
  await createCountingTable(db.pool);
});
afterAll(async () => {
  await Promise.all(running.map((p) => p.stop()));
  await Promise.all(pools.map((p) => p.end()));
  await db.drop();
});

/** Its own pool, as another process would have. */
function runnerFor(projection: CountingProjection, owner: string, tuning: Partial<ProjectionsOptions> = {}): Projections {
  const pool = createPool(db.url, 4);
  pools.push(pool);
  const projections = new Projections(pool, new EventStore(pool, createRegistry()), {
    owner,
    projections: [projection],
    log,
    batchSize: 4,
    minPollMs: 5,
    maxPollMs: 20,
    retryBaseMs: 5,
    ...tuning,
  });
  running.push(projections);
  return projections;
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
 * Batches until the projection has applied everything committed. "Nothing to
 * read" is not enough: the feed also holds back while any older transaction
 * (in any database of the cluster) is still running.
 */
async function drain(ctx: BatchContext, name: string): Promise<void> {
  const target = await head();
  for (let i = 0; i < 1000 && !(await hasReached(db.pool, name, target)); i++) {
    if ((await runBatch(ctx, 1, { limit: 500 })).kind !== 'applied') await sleep(5);
  }
}

async function expectEachAppliedOnce(name: string, version = 1): Promise<void> {
  const applied = await applications(db.pool, name, version);
  const ids = await allEventIds(db.pool);
  expect([...applied.values()].filter((times) => times !== 1)).toEqual([]);
  expect(applied.size).toBe(ids.length);
}

test('two runners on one database never apply an event twice, and a crashed owner’s lease is taken over', async () => {
  const name = 'count-two-runners';
  const a = runnerFor(countingProjection(name), 'runner-a', { leaseTtlMs: 300 });
  const b = runnerFor(countingProjection(name), 'runner-b', { leaseTtlMs: 300 });
  await write(20);
  await a.start();
  expect(await a.waitForPosition(name, await head(), 5000)).toBe(true);
  await b.start();
  const writing = write(40);
  await sleep(30);
  const [before] = await a.status(name);
  expect(before.lease.owner).toBe('runner-a');
  await a.stop({ releaseLeases: false }); // a crash: the lease is left to expire
  await writing;
  expect(await b.waitForPosition(name, await head(), 5000)).toBe(true);
  const [after] = await b.status(name);
  expect(after.lease.owner).toBe('runner-b');
  expect(after.lease.fence).toBeGreaterThan(before.lease.fence);
  await expectEachAppliedOnce(name);
});

test('runners that both believe they hold the lease still take turns: the checkpoint is read under the row lock', async () => {
  const name = 'count-same-owner';
  const projection = countingProjection(name);
  await ensureProjection(db.pool, name, 1);
  await write(60);
  // Two "processes" with the same executor id (a misconfiguration), batches fired all at once.
  const contexts: BatchContext[] = [0, 1].map(() => {
    const pool = createPool(db.url, 8);
    pools.push(pool);
    return { pool, store, projection, owner: 'same-owner', leaseTtlMs: 10_000 };
  });
  for (let round = 0; round < 200 && !(await hasReached(db.pool, name, await head())); round++) {
    await Promise.all(contexts.flatMap((ctx) => Array.from({ length: 6 }, () => runBatch(ctx, 1, { limit: 3 }))));
  }
  expect(await hasReached(db.pool, name, await head())).toBe(true);
  await expectEachAppliedOnce(name);
});

test('a live lease fences out another owner until it expires', async () => {
  const name = 'count-fencing';
  const projection = countingProjection(name);
  await ensureProjection(db.pool, name, 1);
  await write(3);
  const ctx = (owner: string): BatchContext => ({ pool: db.pool, store, projection, owner, leaseTtlMs: 10_000 });
  expect((await runBatch(ctx('a'), 1, { limit: 1 })).kind).toBe('applied');
  expect((await runBatch(ctx('b'), 1, { limit: 1 })).kind).toBe('not-owner');
  await db.pool.query(`UPDATE projection_checkpoints SET lease_expires_at = now() - interval '1 second' WHERE name = $1`, [name]);
  expect((await runBatch(ctx('b'), 1, { limit: 1 })).kind).toBe('applied');
  expect((await runBatch(ctx('a'), 1, { limit: 1 })).kind).toBe('not-owner');
  await drain(ctx('b'), name);
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
  expect((await runner.status(name))[0].parked).toBe(1);

  // Still failing: stays parked, one attempt more.
  expect(await runner.replay(name, positions[5])).toEqual([{ version: 1, replayed: false, error: expect.stringContaining('poisoned') }]);
  expect((await runner.deadLetters(name))[0].attempts).toBe(4);

  projection.failures.delete(poison);
  expect(await runner.replay(name, positions[5])).toEqual([{ version: 1, replayed: true }]);
  expect((await applications(db.pool, name)).get(poison)).toBe(1);
  expect(await runner.deadLetters(name)).toEqual([]);
  expect(await runner.deadLetters(name, { includeReplayed: true })).toEqual([expect.objectContaining({ eventId: poison, replayedAt: expect.any(String) })]);
  expect(await runner.replay(name, positions[5])).toEqual([]);
  expect((await runner.status(name))[0].parked).toBe(0);
});

test('read-your-writes compares in feed order: a checkpoint past a position may not have applied it yet', async () => {
  const name = 'count-feed-order';
  const projection = countingProjection(name);
  await ensureProjection(db.pool, name, 1);
  const ctx: BatchContext = { pool: db.pool, store, projection, owner: 'x', leaseTtlMs: 10_000 };
  await drain(ctx, name);

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
    let first = await runBatch(ctx, 1, { limit: 1 });
    for (let i = 0; i < 200 && first.kind !== 'applied'; i++) first = await sleep(10).then(() => runBatch(ctx, 1, { limit: 1 }));
    expect(first).toMatchObject({ kind: 'applied', checkpoint: { position: elder } });
    expect(await hasReached(db.pool, name, elder)).toBe(true);
    expect(await hasReached(db.pool, name, younger)).toBe(false);

    const projections = runnerFor(projection, 'x');
    const started = Date.now();
    expect(await projections.waitForPosition(name, younger, 100)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    const waiting = projections.waitForPosition(name, younger, 5000);
    await projections.start();
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
  for (let i = 0; i < 200 && (await v2.status(name)).some((s) => s.version !== 2); i++) await sleep(10);
  expect((await v2.status(name)).map((s) => [s.version, s.status, s.rulesVersion])).toEqual([[2, 'live', 2]]);
  expect(await v2.waitForPosition(name, await head(), 5000)).toBe(true);
  await expectEachAppliedOnce(name, 2);
  for (let i = 0; i < 100 && (await applications(db.pool, name, 1)).size > 0; i++) await sleep(10);
  expect((await applications(db.pool, name, 1)).size).toBe(0);
});
