import { http, orderBody, startTestApp, type TestApp } from '../support/app';

/** READ_SIDE=off: an orchestrator-only process runs sagas and leaves the read models to others. */
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp('read_side_off', { readSide: false });
});
afterAll(() => app.close());

test('sagas run; projections and process managers do not', async () => {
  await http(app, 'POST', '/inventory/sku-off/stock', { body: { quantity: 2 }, token: true });
  const res = await http(app, 'POST', '/orders', { body: orderBody({ items: [{ sku: 'sku-off', quantity: 1, unitPrice: 100 }] }) });
  await app.engine.waitFor(res.body.sagaId, ['COMPLETED']);
  // Nobody here follows the feed: no consumer lease (projection or process manager) is taken.
  const leases = await app.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM consumer_checkpoints WHERE lease_owner IS NOT NULL');
  expect(leases.rows[0].n).toBe(0);
  // The read models exist but nobody here applies events to them.
  const projections = await http(app, 'GET', '/projections');
  expect(projections.status).toBe(200);
  const { rows } = await app.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM rm_order_summaries');
  expect(rows[0].n).toBe(0);
  expect((await http(app, 'GET', `/orders/${res.body.orderId}`)).status).toBe(404);
});
