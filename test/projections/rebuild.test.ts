import { execFile } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { createLogger } from '../../src/log';
import { Consumers } from '../../src/consumers';
import { projectionConsumer, readModels } from '../../src/projections';
import { http, startTestApp, type TestApp } from '../support/app';
import { foldStreams, readProjections } from './support/fold';
import { seeded } from './support/random';
import { addStock, placeRandomOrders, settle } from './support/workload';

let app: TestApp;
let slow: Consumers;
const NAMES = ['order-summary', 'saga-overview', 'stock-levels'];

beforeAll(async () => {
  app = await startTestApp('rebuild', { approvalThreshold: 1_000_000_000 });
  // The app's runners make way for slow ones (tiny batches), so that a
  // rebuild takes long enough for reads and writes to happen during it.
  await app.consumers.stop();
  slow = new Consumers(app.db.pool, app.store, {
    owner: 'slow-runner',
    consumers: readModels().map(projectionConsumer),
    log: createLogger('silent'),
    batchSize: 10,
    minPollMs: 10,
    maxPollMs: 20,
  });
  await slow.start();
});
afterAll(async () => {
  await slow.stop();
  await app.close();
});

const rebuilding = async () => new Set((await slow.status()).filter((s) => s.status === 'rebuilding').map((s) => s.name));

test('a rebuild while writes go on keeps reads answering, switches when caught up, and ends identical to a fresh fold', async () => {
  const rng = seeded(42);
  const skus = ['sku-b1', 'sku-b2', 'sku-b3'];
  for (const sku of skus) await addStock(app, sku, 8);
  const before = await placeRandomOrders(app, rng, skus, 8);
  await settle(app, before.sagaIds);
  expect(await slow.waitForCaughtUp()).toBe(true);

  for (const name of NAMES) {
    const res = await http(app, 'POST', `/projections/${name}/rebuild`, { token: true });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ projection: name, version: 2, status: 'rebuilding', started: true });
  }
  const again = await http(app, 'POST', '/projections/stock-levels/rebuild', { token: true });
  expect(again.body).toMatchObject({ version: 2, started: false });
  expect((await http(app, 'POST', '/projections/stock-levels/rebuild', { token: false })).status).toBe(401);

  let writing = true;
  const sagaIds = [...before.sagaIds];
  const writer = (async () => {
    while (writing) {
      await addStock(app, rng.pick(skus), 1);
      if (rng.chance(0.15)) sagaIds.push(...(await placeRandomOrders(app, rng, skus, 1)).sagaIds);
      // Steady, not flat out: a projection slower than the writes would never catch up, rebuilt or not.
      await sleep(20);
    }
  })();

  const readsDuringRebuild = new Map(NAMES.map((n) => [n, 0]));
  const deadline = Date.now() + 30_000;
  let building = await rebuilding();
  try {
    for (; building.size > 0 && Date.now() < deadline; building = await rebuilding()) {
      const [order, inventory, sagas] = await Promise.all([
        http(app, 'GET', `/orders/${before.orderIds[0]}`),
        http(app, 'GET', '/inventory'),
        http(app, 'GET', '/sagas?limit=500'),
      ]);
      // The live version keeps answering, complete, while the new one fills.
      expect(order.status).toBe(200);
      expect(order.body.orderId).toBe(before.orderIds[0]);
      expect(inventory.body.items.length).toBeGreaterThanOrEqual(skus.length);
      expect(sagas.body.sagas.length).toBeGreaterThanOrEqual(before.sagaIds.length);
      for (const name of building) readsDuringRebuild.set(name, readsDuringRebuild.get(name)! + 1);
    }
  } finally {
    writing = false;
    await writer;
  }
  expect(building).toEqual(new Set());
  for (const name of NAMES) expect(readsDuringRebuild.get(name)).toBeGreaterThan(0);

  await settle(app, sagaIds);
  expect(await slow.waitForCaughtUp()).toBe(true);
  expect((await slow.status({ kind: 'projection' })).map((s) => [s.name, s.version, s.status])).toEqual(NAMES.map((n) => [n, 2, 'live']));
  expect(await readProjections(app.db.pool)).toEqual(await foldStreams(app.store));
  // The retired version's rows are gone.
  for (let i = 0; i < 100 && (await rowsOfVersion(1)) > 0; i++) await sleep(20);
  expect(await rowsOfVersion(1)).toBe(0);
});

test('npm run projections -- rebuild <name> builds the next version and switches reads to it', async () => {
  const { stdout } = await promisify(execFile)(
    path.resolve(__dirname, '../../node_modules/.bin/tsx'),
    [path.resolve(__dirname, '../../src/cli/projections.ts'), 'rebuild', 'stock-levels'],
    { env: { ...process.env, DATABASE_URL: app.testDb.url, LOG_LEVEL: 'warn' }, timeout: 30_000 },
  );
  expect(stdout).toContain('rebuilding stock-levels as version 3');
  expect(stdout).toContain('stock-levels version 3 is live');
  const stock = (await slow.status({ name: 'stock-levels' }))[0];
  expect([stock.version, stock.status]).toEqual([3, 'live']);
  expect(await slow.waitForCaughtUp()).toBe(true);
  expect((await readProjections(app.db.pool)).stock).toEqual((await foldStreams(app.store)).stock);
});

async function rowsOfVersion(version: number): Promise<number> {
  const { rows } = await app.db.pool.query<{ n: number }>(
    `SELECT (SELECT count(*) FROM rm_order_summaries WHERE version = $1) + (SELECT count(*) FROM rm_saga_overviews WHERE version = $1)
          + (SELECT count(*) FROM rm_stock_levels WHERE version = $1) AS n`,
    [version],
  );
  return Number(rows[0].n);
}
