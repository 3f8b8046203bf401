import { gzipSync } from 'node:zlib';
import { http, orderBody, startTestApp, ADMIN_TOKEN, type TestApp } from '../support/app';
import { countWrites } from '../support/writes';

/**
 * Bad input is a 4xx problem naming what is wrong, never a 5xx, and never a
 * 202 for an order that cannot succeed; a refused request writes nothing.
 */
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp('hostile');
});
afterAll(() => app.close());

async function nothingWritten<T>(fn: () => Promise<T>): Promise<T> {
  const before = await countWrites(app.db.pool);
  const result = await fn();
  expect(await countWrites(app.db.pool)).toEqual(before);
  return result;
}

async function raw(method: string, path: string, init: { body?: string | Buffer; headers?: Record<string, string> } = {}) {
  const res = await fetch(app.url + path, { method, headers: init.headers, body: init.body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

type Answer = { status: number; headers: Headers; body: any };

function expectProblem(res: Answer, status: number, kind: string, fields?: string[]) {
  expect({ status: res.status, type: res.body?.type }).toEqual({ status, type: `/problems/${kind}` });
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String), instance: expect.stringMatching(/^\//) });
  if (fields) expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(fields);
}

describe('body parsing errors have their own status', () => {
  test('a body over the limit is 413', async () => {
    const big = JSON.stringify({ ...orderBody(), padding: 'x'.repeat(300 * 1024) });
    expectProblem(await nothingWritten(() => raw('POST', '/orders', { body: big, headers: { 'content-type': 'application/json' } })), 413, 'payload-too-large', ['body']);
  });

  test('10,000 order lines are 413, not a 500 and not a saga', async () => {
    const items = Array.from({ length: 10_000 }, (_, i) => ({ sku: `sku-${i}`, quantity: 1, unitPrice: 1 }));
    expectProblem(await nothingWritten(() => http(app, 'POST', '/orders', { body: orderBody({ items }) })), 413, 'payload-too-large');
  });

  test.each(['latin1', 'utf-7', 'UTF-16'])('a charset other than UTF-8 (%s) is 415, even for a body that would decode', async (charset) => {
    const res = await nothingWritten(() => raw('POST', '/orders', { body: JSON.stringify(orderBody()), headers: { 'content-type': `application/json; charset=${charset}` } }));
    expectProblem(res, 415, 'unsupported-media-type', ['Content-Type']);
  });

  test('an unsupported Content-Encoding is 415, corrupt gzip is 400', async () => {
    const json = { 'content-type': 'application/json' };
    expectProblem(
      await nothingWritten(() => raw('POST', '/orders', { body: JSON.stringify(orderBody()), headers: { ...json, 'content-encoding': 'compress' } })),
      415,
      'unsupported-media-type',
      ['Content-Encoding'],
    );
    expectProblem(
      await nothingWritten(() => raw('POST', '/orders', { body: 'not gzip at all', headers: { ...json, 'content-encoding': 'gzip' } })),
      400,
      'malformed-body',
      ['Content-Encoding'],
    );
    // A good gzip body is read.
    const gz = gzipSync(JSON.stringify({ quantity: 1 }));
    const ok = await raw('POST', '/inventory/gz/stock', { body: gz, headers: { ...json, 'content-encoding': 'gzip', authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(ok.status).toBe(200);
  });

  test('a body that is not JSON is 415 naming Content-Type, not a list of every field', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const res = await nothingWritten(() => raw('POST', '/orders', { body: JSON.stringify(orderBody()), headers: { 'content-type': type } }));
      expectProblem(res, 415, 'unsupported-media-type', ['Content-Type']);
    }
  });

  test('malformed JSON is 400', async () => {
    expectProblem(await nothingWritten(() => http(app, 'POST', '/orders', { body: '{"customerId": ' })), 400, 'malformed-body', ['body']);
  });
});

describe('strings PostgreSQL cannot store are 400 naming the field', () => {
  test.each([
    ['a NUL in the customer id', { customerId: 'c\u0000' }, 'customerId'],
    ['a NUL in the name', { shippingAddress: { ...orderBody().shippingAddress, name: 'A\u0000da' } }, 'shippingAddress.name'],
    ['a lone surrogate in the city', { shippingAddress: { ...orderBody().shippingAddress, city: 'Berlin\ud800' } }, 'shippingAddress.city'],
    ['a lone surrogate in an unknown key', { ['x\udc00']: 1 }, 'x\udc00'],
  ])('%s', async (_name, override, field) => {
    expectProblem(await nothingWritten(() => http(app, 'POST', '/orders', { body: orderBody(override) })), 400, 'invalid-request', [field]);
  });

  test('in a reason, a query parameter and a path parameter', async () => {
    expectProblem(await http(app, 'POST', '/sagas/x/resolve', { body: { reason: 'r\u0000' }, token: true }), 400, 'invalid-request', ['reason']);
    expectProblem(await http(app, 'GET', '/orders?customerId=%00'), 400, 'invalid-request', ['customerId']);
    expectProblem(await http(app, 'GET', '/orders/a%00b'), 400, 'invalid-request', ['id']);
    expectProblem(await http(app, 'GET', '/streams/order-%00'), 400, 'invalid-request', ['streamId']);
  });
});

describe('a path that does not percent-decode is 400 naming the parameter', () => {
  test.each([
    ['GET', '/sagas/%', 'id'],
    ['GET', '/sagas/%ff%fe', 'id'],
    ['POST', '/sagas/%/approve', 'id'],
    ['POST', '/sagas/%E0%A4%A/fork', 'id'],
    ['GET', '/orders/%', 'id'],
    ['POST', '/orders/%ff%fe/return', 'id'],
    ['GET', '/streams/%', 'streamId'],
    ['GET', '/aggregates/order/%', 'id'],
    ['GET', '/aggregates/%/x', 'type'],
    ['POST', '/inventory/%/stock', 'sku'],
    ['GET', '/projections/%/dead-letters', 'name'],
    ['POST', '/projections/order-summary/dead-letters/%/replay', 'position'],
  ])('%s %s', async (method, path, field) => {
    const res = await nothingWritten(() => http(app, method, path, { body: method === 'POST' ? {} : undefined, token: true }));
    expectProblem(res, 400, 'invalid-request', [field]);
  });

  test('and the console does not 500 on one either', async () => {
    const res = await raw('GET', '/console/%');
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });
});

describe('errors name the parameter or header, not where it was', () => {
  test('headers', async () => {
    expectProblem(await http(app, 'POST', '/orders', { body: orderBody(), headers: { 'idempotency-key': 'has spaces' } }), 400, 'invalid-request', ['Idempotency-Key']);
    expectProblem(await http(app, 'GET', '/orders', { headers: { 'x-after-position': 'soon' } }), 400, 'invalid-request', ['X-After-Position']);
  });
  test('query parameters', async () => {
    expectProblem(await http(app, 'GET', '/orders?after=soon'), 400, 'invalid-request', ['after']);
    expectProblem(await http(app, 'GET', '/orders?after=1&waitMs=-1'), 400, 'invalid-request', ['waitMs']);
  });
});

test('each kind of problem has its own type URI, which resolves to its description', async () => {
  const notFound = await http(app, 'GET', '/sagas/nobody');
  expectProblem(notFound, 404, 'not-found');
  expect(notFound.body.instance).toBe('/sagas/nobody');
  const unauthorized = await http(app, 'POST', '/sagas/x/approve', { body: {}, token: false });
  expectProblem(unauthorized, 401, 'unauthorized');
  const described = await http(app, 'GET', notFound.body.type);
  expect(described).toMatchObject({ status: 200, body: { type: '/problems/not-found', status: 404, title: notFound.body.title } });
});

describe('an order that could never succeed is refused at the edge, before anything is written', () => {
  const address = orderBody().shippingAddress;
  const line = (sku: string, quantity = 1, unitPrice = 100) => ({ sku, quantity, unitPrice });
  test.each([
    ['a currency outside ISO 4217', { currency: 'XYZ' }, ['currency']],
    ['a zero total', { items: [line('a', 2, 0)] }, ['items']],
    ['a total beyond a safe integer', { items: [line('a', 2 ** 30, 2 ** 30), line('b', 2 ** 30, 2 ** 30)] }, ['items']],
    ['a line price beyond a safe integer', { items: [line('a', 1, 2 ** 60)] }, ['items.0.unitPrice']],
    ['the same SKU on two lines', { items: [line('a'), line('a')] }, ['items.1.sku']],
    ['a SKU with a space', { items: [line('a b')] }, ['items.0.sku']],
    ['a SKU with a quote', { items: [line("a'b")] }, ['items.0.sku']],
    ['more lines than the carrier takes', { items: Array.from({ length: 101 }, (_, i) => line(`s${i}`)) }, ['items']],
    ['a name longer than the carrier takes', { shippingAddress: { ...address, name: 'A'.repeat(201) } }, ['shippingAddress.name']],
    ['a 21-character postal code', { shippingAddress: { ...address, postalCode: '1'.repeat(21) } }, ['shippingAddress.postalCode']],
    ['a customer id the event store would refuse in a stream id', { customerId: 'c 1' }, ['customerId']],
    ['a card token with a space', { payment: { token: 'tok visa' } }, ['payment.token']],
  ])('%s', async (_name, override, fields) => {
    const res = await nothingWritten(() => http(app, 'POST', '/orders', { body: orderBody(override), headers: { 'idempotency-key': `bad-${Math.random().toString(36).slice(2)}` } }));
    expectProblem(res, 400, 'invalid-request', fields);
  });
});

test('an order for SKUs never stocked compensates without leaving empty stream rows', async () => {
  const items = Array.from({ length: 20 }, (_, i) => ({ sku: `never-stocked-${i}`, quantity: 1, unitPrice: 1 }));
  const res = await http(app, 'POST', '/orders', { body: orderBody({ items }), headers: { 'idempotency-key': 'unknown-skus' } });
  expect(res.status).toBe(202);
  const end = Date.now() + 20_000;
  let status = '';
  while (Date.now() < end && status !== 'COMPENSATED') {
    status = (await http(app, 'GET', '/sagas/unknown-skus')).body.status;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(status).toBe('COMPENSATED');
  const { rows } = await app.db.pool.query("SELECT count(*)::int AS n FROM streams WHERE stream_id LIKE 'inventory-never-stocked-%'");
  expect(rows[0].n).toBe(0);
});
