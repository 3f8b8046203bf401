import { http, orderBody, startTestApp, type TestApp } from '../support/app';
import { feedCaughtUp } from '../support/db';

/** Bad input gets a 400 problem naming the field, and changes nothing. */
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp('validation');
});
afterAll(() => app.close());

async function nothingWritten<T>(fn: () => Promise<T>): Promise<T> {
  const count = async () =>
    (await app.db.pool.query<{ n: number }>('SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM saga_requests) AS n')).rows[0].n;
  const before = await count();
  const result = await fn();
  expect(await count()).toBe(before);
  return result;
}

const expectProblem = (res: { status: number; headers: Headers; body: any }, status: number, fields: string[]) => {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String) });
  expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(fields);
};

test.each([
  ['a missing customer id', { customerId: undefined }, ['customerId']],
  ['a lower-case currency', { currency: 'eur' }, ['currency']],
  ['no items', { items: [] }, ['items']],
  ['a negative quantity', { items: [{ sku: 'a', quantity: -1, unitPrice: 1 }] }, ['items.0.quantity']],
  ['a fractional price', { items: [{ sku: 'a', quantity: 1, unitPrice: 1.5 }] }, ['items.0.unitPrice']],
  ['no payment token', { payment: {} }, ['payment.token']],
  ['a three-letter country', { shippingAddress: { ...orderBody().shippingAddress, country: 'DEU' } }, ['shippingAddress.country']],
])('POST /orders with %s: 400 naming the field', async (_name, override, fields) => {
  const res = await nothingWritten(() => http(app, 'POST', '/orders', { body: orderBody(override) }));
  expectProblem(res, 400, fields);
});

test('POST /orders with malformed JSON: 400', async () => {
  const res = await nothingWritten(() => http(app, 'POST', '/orders', { body: '{"customerId": ' }));
  expectProblem(res, 400, ['body']);
});

test('POST /orders with an invalid Idempotency-Key: 400 naming the header', async () => {
  const res = await nothingWritten(() => http(app, 'POST', '/orders', { body: orderBody(), headers: { 'idempotency-key': 'has spaces' } }));
  expectProblem(res, 400, ['Idempotency-Key']);
});

test('POST /inventory/:sku/stock validates the quantity and the sku', async () => {
  expectProblem(await nothingWritten(() => http(app, 'POST', '/inventory/sku-1/stock', { body: { quantity: 0 }, token: true })), 400, ['quantity']);
  expectProblem(await nothingWritten(() => http(app, 'POST', '/inventory/sku-1/stock', { body: {}, token: true })), 400, ['quantity']);
  expect((await nothingWritten(() => http(app, 'POST', '/inventory/sku-1/stock', { body: { quantity: 5 }, token: false }))).status).toBe(401);
});

test('query parameters are validated too', async () => {
  expectProblem(await http(app, 'GET', '/sagas?status=DONE'), 400, ['status']);
  expectProblem(await http(app, 'GET', '/sagas?limit=0'), 400, ['limit']);
  expectProblem(await http(app, 'GET', '/events?after=12'), 400, ['after']);
  expectProblem(await http(app, 'GET', '/aggregates/order/x?asOf=yesterday'), 400, ['asOf']);
  expectProblem(await http(app, 'GET', '/aggregates/order/x?version=-1'), 400, ['version']);
  expectProblem(await http(app, 'GET', '/aggregates/customer/x'), 400, ['type']);
});

test('unknown things are 404 problems; unknown routes too', async () => {
  for (const path of ['/sagas/none', '/streams/order-none', '/aggregates/order/none', '/nowhere']) {
    const res = await http(app, 'GET', path);
    expect([path, res.status]).toEqual([path, 404]);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  }
});

test('aggregates as of a time and as of a version', async () => {
  await http(app, 'POST', '/inventory/sku-t/stock', { body: { quantity: 5 }, token: true });
  const first = await http(app, 'GET', '/streams/inventory-sku-t');
  await new Promise((r) => setTimeout(r, 5));
  await http(app, 'POST', '/inventory/sku-t/stock', { body: { quantity: 7 }, token: true });
  const asOf = first.body.events[0].recordedAt;
  expect((await http(app, 'GET', `/aggregates/inventory/sku-t?asOf=${asOf}`)).body).toMatchObject({ version: 1, state: { onHand: 5 } });
  expect((await http(app, 'GET', '/aggregates/inventory/sku-t?version=1')).body).toMatchObject({ version: 1, state: { onHand: 5 } });
  expect((await http(app, 'GET', '/aggregates/inventory/sku-t')).body).toMatchObject({ version: 2, state: { onHand: 12, available: 12 } });
  await feedCaughtUp(app.db.pool);
  const feed = await http(app, 'GET', '/events?limit=1');
  expect(feed.body.events).toHaveLength(1);
  const next = await http(app, 'GET', `/events?after=${feed.body.next}&limit=10`);
  expect(next.body.events[0].globalPosition).toBeGreaterThan(feed.body.events[0].globalPosition);
});

test('internal errors do not leak stack traces', async () => {
  // A stream whose stored event cannot be decoded makes the fold fail inside the server.
  await app.db.pool.query(
    `INSERT INTO events (stream_id, stream_type, stream_position, event_id, type, schema_version, data, recorded_at)
     VALUES ('order-broken', 'order', 1, gen_random_uuid(), 'NoSuchEvent', 1, '{}', now())`,
  );
  await app.db.pool.query(`INSERT INTO streams (stream_id, stream_type, version) VALUES ('order-broken', 'order', 1)`);
  const res = await http(app, 'GET', '/aggregates/order/broken');
  expect(res.status).toBe(500);
  expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts|node_modules|stack/);
});
