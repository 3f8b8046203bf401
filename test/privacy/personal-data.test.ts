import { randomUUID } from 'node:crypto';
import { FORGOTTEN } from '../../src/privacy';
import { addStock } from '../projections/support/workload';
import { http, orderBody, startTestApp, type TestApp } from '../support/app';
import { countWrites } from '../support/writes';

/**
 * Personal data end to end: sealed wherever it is stored, shown opened while
 * the customer's key exists, unreadable everywhere once the customer is
 * forgotten, with every fold and the read models still working.
 */
let app: TestApp;
const SKU = 'sku-privacy';
const APPROVAL_THRESHOLD = 500;

const ADDRESS = { name: 'Ada Privacy-Lovelace', line1: '7 Shredder Lane', city: 'Cryptopolis', postalCode: 'PD-4711', country: 'DE' };
const TOKEN = 'tok_privacy_secret_31337';
/** The clear values no store of ours may hold, and no answer may show once forgotten. */
const ADDRESS_TEXTS = [ADDRESS.name, ADDRESS.line1, ADDRESS.city, ADDRESS.postalCode];

beforeAll(async () => {
  app = await startTestApp('privacy', { approvalThreshold: APPROVAL_THRESHOLD, approvalTimeoutSeconds: 600 });
  await addStock(app, SKU, 100);
});
afterAll(() => app.close());

const customer = () => `cust-${randomUUID()}`;
const body = (customerId: string, unitPrice = 100) =>
  orderBody({ customerId, items: [{ sku: SKU, quantity: 1, unitPrice }], payment: { token: TOKEN }, shippingAddress: ADDRESS });

async function placeOrder(customerId: string, unitPrice = 100): Promise<{ sagaId: string; orderId: string }> {
  const res = await http(app, 'POST', '/orders', { body: body(customerId, unitPrice) });
  expect(res.status).toBe(202);
  return res.body;
}

const forget = (customerId: string, reason = 'asked to be forgotten (ticket 42)') =>
  http(app, 'POST', `/customers/${customerId}/forget`, { token: true, body: { actor: 'dpo', reason } });

/**
 * Tables (ours and DBOS's) with a row whose text contains `text`. The
 * simulators' tables are the outside systems' own books: a carrier needs the
 * address, the gateway the token. They are searched separately, to show the
 * search finds what is there.
 */
async function tablesHolding(text: string, which: 'ours' | 'providers' = 'ours'): Promise<string[]> {
  const { rows: tables } = await app.db.pool.query<{ name: string }>(
    `SELECT format('%I.%I', table_schema, table_name) AS name FROM information_schema.tables
      WHERE table_schema IN ('public', 'dbos') AND table_type = 'BASE TABLE'
        AND (table_name ~ '^(payment|carrier|simulator)_') = $1`,
    [which === 'providers'],
  );
  const found: string[] = [];
  for (const { name } of tables) {
    const { rows } = await app.db.pool.query(`SELECT 1 FROM ${name} t WHERE strpos(t::text, $1) > 0 LIMIT 1`, [text]);
    if (rows.length) found.push(name);
  }
  return found;
}

/** Every read that shows a saga's or an order's data: the API's, and so the console's. */
async function reads(sagaId: string, orderId: string, customerId: string) {
  await app.consumers.waitForCaughtUp();
  const paths = [
    `/sagas/${sagaId}`,
    '/sagas?limit=500',
    `/orders/${orderId}`,
    `/orders?customerId=${customerId}`,
    `/streams/saga-${sagaId}`,
    `/streams/order-${orderId}`,
    '/events?limit=1000',
    `/aggregates/order/${orderId}`,
    `/aggregates/payment/${orderId}`,
    `/aggregates/shipment/${orderId}`,
  ];
  const answers: Record<string, { status: number; body: any }> = {};
  for (const path of paths) answers[path] = await http(app, 'GET', path);
  return answers;
}

const shown = (answers: Record<string, { body: unknown }>, text: string) =>
  Object.entries(answers)
    .filter(([, a]) => JSON.stringify(a.body).includes(text))
    .map(([path]) => path);

describe('a completed order of a customer who is then forgotten', () => {
  const customerId = customer();
  const other = customer();
  let sagaId: string;
  let orderId: string;
  let othersOrder: { sagaId: string; orderId: string };

  beforeAll(async () => {
    ({ sagaId, orderId } = await placeOrder(customerId));
    othersOrder = await placeOrder(other);
    await app.engine.waitFor(sagaId, ['COMPLETED']);
    await app.engine.waitFor(othersOrder.sagaId, ['COMPLETED']);
  });

  test('no clear name, address or card token in any table of ours or of DBOS, while the providers got them', async () => {
    for (const text of [...ADDRESS_TEXTS, TOKEN]) expect({ text, tables: await tablesHolding(text) }).toEqual({ text, tables: [] });
    // The search does find a value where there is one: the customer id is kept in clear, ...
    const holdingId = await tablesHolding(customerId);
    expect(holdingId).toEqual(expect.arrayContaining(['public.events', 'public.saga_requests', 'public.rm_order_summaries', 'public.rm_saga_overviews']));
    expect(holdingId.filter((t) => t.startsWith('dbos.'))).not.toEqual([]);
    // ... and the outside systems' books hold what they were given.
    expect(await tablesHolding(TOKEN, 'providers')).toContain('public.payment_authorizations');
    expect(await tablesHolding(ADDRESS.name, 'providers')).toContain('public.carrier_bookings');
  });

  test('before forgetting, the API shows the address opened and the card only as a vault reference', async () => {
    const answers = await reads(sagaId, orderId, customerId);
    expect(answers[`/sagas/${sagaId}`].body.input).toMatchObject({ customerId, shippingAddress: ADDRESS, payment: { cardRef: expect.stringMatching(/^card_/) } });
    expect(answers[`/orders/${orderId}`].body).toMatchObject({ customerId, shippingAddress: ADDRESS, status: 'confirmed' });
    const placed = answers[`/streams/order-${orderId}`].body.events.find((e: { type: string }) => e.type === 'OrderPlaced');
    expect(placed.data.shippingAddress).toEqual(ADDRESS);
    expect(shown(answers, TOKEN)).toEqual([]);
  });

  test('forgetting needs the operator, a reason and an actor, and a customer we hold data of; refused requests write nothing', async () => {
    const before = await countWrites(app.db.pool);
    expect((await http(app, 'POST', `/customers/${customerId}/forget`, { token: false, body: { actor: 'dpo', reason: 'x' } })).status).toBe(401);
    const invalid = await http(app, 'POST', `/customers/${customerId}/forget`, { token: true, body: { actor: '' } });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(invalid.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['actor', 'reason']);
    expect((await http(app, 'POST', '/customers/bad%20id/forget', { token: true, body: { actor: 'dpo', reason: 'x' } })).body.errors).toEqual([
      expect.objectContaining({ field: 'customerId' }),
    ]);
    expect((await forget('nobody-we-know')).status).toBe(404);
    expect(await countWrites(app.db.pool)).toEqual(before);
    expect(await http(app, 'GET', `/sagas/${sagaId}`)).toMatchObject({ body: { input: { shippingAddress: ADDRESS } } });
  });

  test('forgetting is an event, written with the erasure, once', async () => {
    const first = await forget(customerId);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ customerId, forgottenAt: expect.any(String), position: expect.any(Number) });
    const again = await forget(customerId, 'asked twice');
    expect(again).toMatchObject({ status: 200, body: first.body });
    const stream = await http(app, 'GET', `/streams/customer-${customerId}`);
    expect(stream.body.events).toEqual([
      expect.objectContaining({ type: 'CustomerForgotten', globalPosition: first.body.position, data: { customerId, actor: 'dpo', reason: 'asked to be forgotten (ticket 42)' } }),
    ]);
    const { rows } = await app.db.pool.query('SELECT data_key, forgotten_at FROM customer_keys WHERE customer_id = $1', [customerId]);
    expect(rows).toEqual([{ data_key: null, forgotten_at: expect.any(Date) }]);
  });

  test('after forgetting, no route shows their data, while folds, statuses and the other customer are as before', async () => {
    const answers = await reads(sagaId, orderId, customerId);
    for (const [path, answer] of Object.entries(answers)) expect({ path, status: answer.status }).toEqual({ path, status: 200 });
    for (const text of [...ADDRESS_TEXTS, TOKEN]) {
      // The other customer's order is in the lists and the feed: look only at this customer's answers.
      const own = Object.fromEntries(Object.entries(answers).filter(([path]) => !['/sagas?limit=500', '/events?limit=1000'].includes(path)));
      expect({ text, shownBy: shown(own, text) }).toEqual({ text, shownBy: [] });
    }
    const feed = answers['/events?limit=1000'].body.events.filter((e: { streamId: string }) => [`saga-${sagaId}`, `order-${orderId}`].includes(e.streamId));
    expect(JSON.stringify(feed)).not.toContain(ADDRESS.name);
    expect(feed.find((e: { type: string }) => e.type === 'OrderPlaced').data.shippingAddress).toBe(FORGOTTEN);

    const saga = answers[`/sagas/${sagaId}`].body;
    expect(saga).toMatchObject({ status: 'COMPLETED', input: { customerId, orderId, shippingAddress: FORGOTTEN } });
    expect(saga.steps.map((s: { name: string }) => s.name)).toEqual(['placeOrder', 'reserveStock', 'authorizePayment', 'bookShipment', 'capturePayment', 'confirmOrder']);
    expect(answers[`/orders/${orderId}`].body).toMatchObject({ status: 'confirmed', paymentStatus: 'captured', shippingAddress: FORGOTTEN });
    expect(answers[`/aggregates/order/${orderId}`].body.state).toMatchObject({ status: 'confirmed', customerId, total: 100 });
    expect(answers[`/aggregates/payment/${orderId}`].body.state).toMatchObject({ status: 'captured', amount: 100 });
    expect(answers['/sagas?limit=500'].body.sagas).toContainEqual(expect.objectContaining({ sagaId, status: 'COMPLETED' }));

    const others = await http(app, 'GET', `/sagas/${othersOrder.sagaId}`);
    expect(others.body.input.shippingAddress).toEqual(ADDRESS);
  });

  test('a rebuilt order summary folds the sealed events again: the forgotten address stays unreadable, the rest is as before', async () => {
    const rebuild = await http(app, 'POST', '/projections/order-summary/rebuild', { token: true });
    expect(rebuild.status).toBe(202);
    const version = rebuild.body.version;
    const end = Date.now() + 20_000;
    for (;;) {
      const live = (await app.consumers.status({ name: 'order-summary' })).find((s) => s.status === 'live');
      if (live?.version === version) break;
      if (Date.now() > end) throw new Error(`order-summary v${version} did not go live`);
      await app.consumers.waitForCaughtUp(200);
    }
    expect((await http(app, 'GET', `/orders/${orderId}`)).body).toMatchObject({ status: 'confirmed', customerId, shippingAddress: FORGOTTEN });
    expect((await http(app, 'GET', `/orders/${othersOrder.orderId}`)).body).toMatchObject({ status: 'confirmed', shippingAddress: ADDRESS });
  });

  test('a forgotten customer places no new order, and the refusal writes nothing', async () => {
    const before = await countWrites(app.db.pool);
    const res = await http(app, 'POST', '/orders', { body: body(customerId) });
    expect(res).toMatchObject({ status: 409, body: { type: '/problems/customer-forgotten' } });
    expect(await countWrites(app.db.pool)).toEqual(before);
  });
});

describe('a saga in flight when its customer is forgotten', () => {
  test('sealed before, run after: the payment step cannot resolve the card, fails as a business failure and compensates', async () => {
    const customerId = customer();
    const orderId = `order-${randomUUID()}`;
    // What a start racing the erasure holds: its input sealed, its workflow not yet past the payment.
    const input = await app.engine.protect('order-fulfillment', { ...body(customerId), orderId });
    expect((await forget(customerId)).status).toBe(200);
    const sagaId = `inflight-${randomUUID()}`;
    await app.engine.start('order-fulfillment', sagaId, input, { stored: true });

    const view = await app.engine.waitFor(sagaId, ['COMPENSATED', 'COMPENSATION_STUCK', 'FAILED']);
    expect(view.status).toBe('COMPENSATED');
    expect(view.steps.find((s) => s.name === 'authorizePayment')).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'CUSTOMER_FORGOTTEN', transient: false, message: expect.stringContaining(customerId) },
    });
    expect(view.compensationReason).toMatch(/authorizePayment failed: customer .* was forgotten/);
    expect((await http(app, 'GET', `/aggregates/order/${orderId}`)).body.state).toMatchObject({ status: 'rejected' });
    const { rows } = await app.db.pool.query('SELECT 1 FROM payment_authorizations WHERE order_id = $1', [orderId]);
    expect(rows).toEqual([]);
  });

  test('forgotten while awaiting approval: the shipment cannot be booked, and the authorization is voided', async () => {
    const customerId = customer();
    const { sagaId, orderId } = await placeOrder(customerId, APPROVAL_THRESHOLD + 1);
    await app.engine.waitFor(sagaId, ['AWAITING_APPROVAL']);
    expect((await forget(customerId)).status).toBe(200);
    expect((await http(app, 'POST', `/sagas/${sagaId}/approve`, { token: true, body: { actor: 'dana' } })).status).toBe(202);

    const view = await app.engine.waitFor(sagaId, ['COMPENSATED', 'COMPENSATION_STUCK', 'FAILED']);
    expect(view.status).toBe('COMPENSATED');
    expect(view.steps.find((s) => s.name === 'bookShipment')).toMatchObject({ status: 'failed', error: { code: 'CUSTOMER_FORGOTTEN', transient: false } });
    expect((await http(app, 'GET', `/aggregates/payment/${orderId}`)).body.state).toMatchObject({ status: 'voided' });
    expect((await http(app, 'GET', `/aggregates/inventory/${SKU}`)).body.state).toMatchObject({ reserved: 0 });
  });
});
