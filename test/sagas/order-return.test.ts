import { orderDecider } from '../../src/domain';
import { paymentLedgerOf } from '../../src/providers';
import { http, orderBody, startTestApp, type TestApp } from '../support/app';

/**
 * The return flow end to end, in process: POST /orders/:id/return records
 * ReturnRequested, the order-returns process manager starts the return saga,
 * and the saga refunds, restocks and closes the order — or, when the gateway
 * refuses the refund, rejects the return without having moved money or stock.
 */
let app: TestApp;
let n = 0;

beforeAll(async () => {
  app = await startTestApp('returns', { approvalThreshold: 100_000 });
});
afterAll(() => app.close());

const aggregate = async (type: string, id: string) => (await http(app, 'GET', `/aggregates/${type}/${id}`)).body.state;

/** A confirmed order of `quantity` units of a fresh SKU (stock 10). */
async function confirmedOrder(quantity = 2, unitPrice = 150) {
  const sku = `sku-ret-${++n}`;
  expect((await http(app, 'POST', `/inventory/${sku}/stock`, { body: { quantity: 10 }, token: true })).status).toBe(200);
  const res = await http(app, 'POST', '/orders', { body: orderBody({ items: [{ sku, quantity, unitPrice }] }) });
  expect(res.status).toBe(202);
  await app.engine.waitFor(res.body.sagaId, ['COMPLETED']);
  return { sku, orderId: res.body.orderId as string, total: quantity * unitPrice };
}

const requestReturn = (orderId: string, body: unknown = { reason: 'too small' }, headers: Record<string, string> = {}) =>
  http(app, 'POST', `/orders/${orderId}/return`, { body, headers });

test('a return refunds the capture once, puts the stock back and closes the order', async () => {
  const { sku, orderId, total } = await confirmedOrder(3, 200);
  expect(await aggregate('inventory', sku)).toEqual({ onHand: 7, reserved: 0, available: 7 });

  const res = await requestReturn(orderId);
  expect(res.status).toBe(202);
  expect(res.body).toMatchObject({ orderId, status: 'return_requested', sagaId: expect.stringMatching(/^order-returns-/), position: expect.any(Number) });
  expect(res.headers.get('location')).toBe(`/sagas/${res.body.sagaId}`);

  const view = await app.engine.waitFor(res.body.sagaId, ['COMPLETED']);
  expect(view).toMatchObject({ type: 'order-return', businessKey: orderId, pivoted: true });
  expect(view.steps.map((s) => [s.name, s.status, s.pivot])).toEqual([
    ['acceptReturn', 'succeeded', false],
    ['refundPayment', 'succeeded', true],
    ['restockItems', 'succeeded', false],
    ['completeReturn', 'succeeded', false],
  ]);
  expect(await aggregate('order', orderId)).toMatchObject({ status: 'returned' });
  expect(await aggregate('payment', orderId)).toMatchObject({ status: 'refunded', amount: total });
  expect(await aggregate('inventory', sku)).toEqual({ onHand: 10, reserved: 0, available: 10 });
  expect(await paymentLedgerOf(app.db.pool, orderId)).toMatchObject({ captures: { count: 1, amount: total }, refunds: { count: 1, amount: total } });
});

test('bad input writes nothing: 400 without a reason, 404 for an unknown order, 409 when not returnable', async () => {
  const { orderId } = await confirmedOrder();
  const version = async () => (await app.store.readStream(`order-${orderId}`)).length;
  const before = await version();

  const missing = await requestReturn(orderId, {});
  expect(missing.status).toBe(400);
  expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(missing.body.errors).toEqual([expect.objectContaining({ field: 'reason' })]);
  expect((await requestReturn(orderId, { reason: '   ' })).status).toBe(400);
  expect((await requestReturn(orderId, 'not json')).status).toBe(400);
  expect((await requestReturn('no-such-order')).status).toBe(404);
  expect((await requestReturn('bad id!')).status).toBe(400);
  expect(await version()).toBe(before);

  const declined = await http(app, 'POST', '/orders', { body: orderBody({ payment: { token: 'tok_declined' } }) });
  await app.engine.waitFor(declined.body.sagaId, ['COMPENSATED']);
  const rejected = await requestReturn(declined.body.orderId);
  expect(rejected.status).toBe(409);
  expect(rejected.body).toMatchObject({ code: 'RETURN_NOT_ALLOWED' });

  // The same Idempotency-Key answers the same; a new request for an order being returned is refused.
  const first = await requestReturn(orderId, { reason: 'changed my mind' }, { 'idempotency-key': 'ret-1' });
  const again = await requestReturn(orderId, { reason: 'changed my mind' }, { 'idempotency-key': 'ret-1' });
  expect(first.status).toBe(202);
  expect(again).toMatchObject({ status: 202, body: { sagaId: first.body.sagaId } });
  expect((await requestReturn(orderId)).status).toBe(409);
  await app.engine.waitFor(first.body.sagaId, ['COMPLETED']);
});

test('a refund the gateway refuses compensates: the return is rejected, no money and no stock moved', async () => {
  const { sku, orderId, total } = await confirmedOrder(2, 100);
  // Support staff refunded part of the capture at the gateway, outside the system:
  // the full refund would now exceed the capture (a business failure).
  const payment = await aggregate('payment', orderId);
  await app.providers.payments.refund({ idempotencyKey: `outside-${orderId}`, captureId: payment.captureId, amount: 50 });

  const res = await requestReturn(orderId);
  const view = await app.engine.waitFor(res.body.sagaId, ['COMPENSATED']);
  // The pivot was entered (the refund was asked for), and the gateway refused it: it did nothing, so the saga compensates.
  expect(view.pivot).toEqual({ step: 'refundPayment', enteredAt: expect.any(String) });
  expect(view.steps.find((s) => s.name === 'refundPayment')).toMatchObject({ status: 'failed', error: { code: 'REFUND_EXCEEDS_CAPTURE', transient: false } });
  expect(view.compensations).toEqual([expect.objectContaining({ step: 'acceptReturn', name: 'rejectReturn', status: 'succeeded', nothingToUndo: false })]);
  // Confirmed again (a later return may be requested), still captured, stock untouched.
  expect(await aggregate('order', orderId)).toMatchObject({ status: 'confirmed' });
  expect(await aggregate('payment', orderId)).toMatchObject({ status: 'captured', amount: total });
  expect(await aggregate('inventory', sku)).toEqual({ onHand: 8, reserved: 0, available: 8 });
  expect(await paymentLedgerOf(app.db.pool, orderId)).toMatchObject({ refunds: { count: 1, amount: 50 } });
  expect((await requestReturn(orderId, { reason: 'try again' })).status).toBe(202);
});

test('a return on an order whose payment was never captured fails its first step and compensates', async () => {
  // Built with commands, not a saga: placed and confirmed, but no payment recorded.
  const orderId = `manual-${++n}`;
  const streamId = `order-${orderId}`;
  const place = { type: 'PlaceOrder', orderId, customerId: 'c', currency: 'EUR', items: [{ sku: 'sku-x', quantity: 1, unitPrice: 10 }], shippingAddress: await app.privacy.seal('c', orderBody().shippingAddress), sagaId: 'none' };
  await app.handler.handle([{ decider: orderDecider, streamId, command: place }]);
  await app.handler.handle([{ decider: orderDecider, streamId, command: { type: 'ConfirmOrder' } }]);

  const res = await requestReturn(orderId);
  const view = await app.engine.waitFor(res.body.sagaId, ['COMPENSATED']);
  expect(view.steps).toEqual([expect.objectContaining({ name: 'acceptReturn', status: 'failed', error: expect.objectContaining({ code: 'PAYMENT_NOT_CAPTURED' }) })]);
  expect(await aggregate('order', orderId)).toMatchObject({ status: 'confirmed' });
});
