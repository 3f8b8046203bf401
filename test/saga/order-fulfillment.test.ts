import { paymentLedgerOf, carrierLedgerOf, setSwitch } from '../../src/providers';
import { http, orderBody, startTestApp, type TestApp } from '../support/app';

let app: TestApp;
let n = 0;

beforeAll(async () => {
  app = await startTestApp('saga', { approvalThreshold: 100_000, approvalTimeoutSeconds: 600 });
});
afterAll(() => app.close());

async function stock(sku: string, quantity: number) {
  const res = await http(app, 'POST', `/inventory/${sku}/stock`, { body: { quantity }, token: true });
  expect(res.status).toBe(200);
}

async function placeOrder(overrides: Record<string, unknown> = {}, key = `key-${++n}`) {
  const res = await http(app, 'POST', '/orders', { body: orderBody(overrides), headers: { 'idempotency-key': key } });
  expect(res.status).toBe(202);
  return res.body as { orderId: string; sagaId: string; status: string };
}

async function aggregate(type: string, id: string) {
  return (await http(app, 'GET', `/aggregates/${type}/${id}`)).body.state;
}

const saga = async (id: string) => (await http(app, 'GET', `/sagas/${id}`)).body;

test('the happy path completes: stock committed, payment captured, shipment booked, order confirmed', async () => {
  await stock('sku-happy', 10);
  const { sagaId, orderId } = await placeOrder({ items: [{ sku: 'sku-happy', quantity: 3, unitPrice: 200 }] });
  const view = await app.engine.waitFor(sagaId, ['COMPLETED']);
  expect(view.steps.map((s) => s.name)).toEqual(['placeOrder', 'reserveStock', 'authorizePayment', 'bookShipment', 'capturePayment', 'confirmOrder']);
  expect(view.steps.find((s) => s.name === 'capturePayment')?.pivot).toBe(true);
  expect(await aggregate('order', orderId)).toMatchObject({ status: 'confirmed', total: 600 });
  expect(await aggregate('inventory', 'sku-happy')).toEqual({ onHand: 7, reserved: 0, available: 7 });
  expect(await aggregate('payment', orderId)).toMatchObject({ status: 'captured', amount: 600 });
  expect(await aggregate('shipment', orderId)).toMatchObject({ status: 'booked', trackingNumber: expect.stringMatching(/^TRK/) });
  expect(await paymentLedgerOf(app.db.pool, orderId)).toMatchObject({ authorizations: { count: 1 }, captures: { count: 1 }, voids: { count: 0 } });

  // Every event of the saga and of what it caused carries the saga id as correlation id.
  const correlated = await app.store.readCorrelation(sagaId);
  expect(new Set(correlated.map((e) => e.streamType))).toEqual(new Set(['saga', 'order', 'inventory', 'payment', 'shipment']));
  const detail = await saga(sagaId);
  expect(detail.status).toBe('COMPLETED');
  expect(detail.events.map((e: { type: string }) => e.type)).toEqual([
    'SagaStarted', 'CompensationRegistered', 'StepSucceeded',
    'CompensationRegistered', 'StepSucceeded',
    'CompensationRegistered', 'StepSucceeded',
    'CompensationRegistered', 'StepSucceeded',
    // The pivot is entered in its own transaction, before the capture is asked for.
    'PivotEntered', 'StepSucceeded',
    // The last step and the saga's completion are one transaction; it records what the saga returned.
    'StepSucceeded', 'SagaCompleted',
  ]);
  const [confirmed, completed] = (await app.store.readStream(`saga-${sagaId}`)).slice(-2);
  expect(completed.txid).toBe(confirmed.txid);
  expect(completed.data).toEqual({ output: { orderId, trackingNumber: expect.stringMatching(/^TRK/) } });
  // A domain event's causation id names the step command that produced it.
  const orderEvents = await app.store.readStream(`order-${orderId}`);
  expect(orderEvents[0].metadata).toMatchObject({ correlationId: sagaId, causationId: expect.stringContaining(`${sagaId}/1-placeOrder`) });
});

test('a declined card compensates: reservation released, order rejected with the reason', async () => {
  await stock('sku-decl', 5);
  const { sagaId, orderId } = await placeOrder({ items: [{ sku: 'sku-decl', quantity: 2, unitPrice: 100 }], payment: { token: 'tok_declined' } });
  const view = await app.engine.waitFor(sagaId, ['COMPENSATED']);
  expect(view.compensationReason).toMatch(/^authorizePayment failed: .*declined/i);
  expect(view.steps.find((s) => s.name === 'authorizePayment')).toMatchObject({ status: 'failed', error: { code: 'CARD_DECLINED', transient: false } });
  // Reverse order; the failed step's own undo finds nothing to undo.
  expect(view.compensations.map((c) => [c.name, c.status, c.nothingToUndo])).toEqual([
    ['rejectOrder', 'succeeded', false],
    ['releaseStock', 'succeeded', false],
    ['voidAuthorization', 'succeeded', true],
  ]);
  const trail = (await saga(sagaId)).events.map((e: { type: string; data: { compensation?: string } }) => e.type === 'CompensationSucceeded' ? `undo:${e.data.compensation}` : e.type);
  expect(trail.slice(trail.indexOf('SagaCompensating'))).toEqual(['SagaCompensating', 'undo:voidAuthorization', 'undo:releaseStock', 'undo:rejectOrder', 'SagaCompensated']);
  expect(await aggregate('inventory', 'sku-decl')).toEqual({ onHand: 5, reserved: 0, available: 5 });
  expect(await aggregate('order', orderId)).toMatchObject({ status: 'rejected', reason: expect.stringContaining('declined') });
  expect(await paymentLedgerOf(app.db.pool, orderId)).toMatchObject({ authorizations: { count: 0 }, captures: { count: 0 } });
});

test('out of stock compensates without touching the payment', async () => {
  await stock('sku-few', 1);
  const { sagaId, orderId } = await placeOrder({ items: [{ sku: 'sku-few', quantity: 2, unitPrice: 100 }] });
  const view = await app.engine.waitFor(sagaId, ['COMPENSATED']);
  expect(view.steps.find((s) => s.name === 'reserveStock')?.error?.code).toBe('INSUFFICIENT_STOCK');
  expect(view.steps.map((s) => s.name)).not.toContain('authorizePayment');
  // Nothing was reserved, and the trail says so rather than claiming an undo.
  expect(view.compensations.map((c) => [c.name, c.status, c.nothingToUndo])).toEqual([
    ['rejectOrder', 'succeeded', false],
    ['releaseStock', 'succeeded', true],
  ]);
  expect(await aggregate('inventory', 'sku-few')).toEqual({ onHand: 1, reserved: 0, available: 1 });
  expect(await paymentLedgerOf(app.db.pool, orderId)).toMatchObject({ authorizations: { count: 0 } });
});

test('a flaky card completes after transient retries', async () => {
  await stock('sku-flaky', 5);
  const { sagaId } = await placeOrder({ items: [{ sku: 'sku-flaky', quantity: 1, unitPrice: 100 }], payment: { token: 'tok_flaky' } });
  const view = await app.engine.waitFor(sagaId, ['COMPLETED']);
  expect(view.steps.find((s) => s.name === 'authorizePayment')).toMatchObject({ status: 'succeeded', attempts: 3 });
});

test('an address the carrier refuses compensates and voids the authorization', async () => {
  await stock('sku-xx', 5);
  const address = { ...orderBody().shippingAddress, country: 'XX' };
  const { sagaId, orderId } = await placeOrder({ items: [{ sku: 'sku-xx', quantity: 1, unitPrice: 100 }], shippingAddress: address });
  const view = await app.engine.waitFor(sagaId, ['COMPENSATED']);
  expect(view.steps.find((s) => s.name === 'bookShipment')?.error?.code).toBe('ADDRESS_UNSERVICEABLE');
  expect(await paymentLedgerOf(app.db.pool, orderId)).toMatchObject({ authorizations: { count: 1 }, voids: { count: 1 }, captures: { count: 0 } });
  expect(await aggregate('payment', orderId)).toMatchObject({ status: 'voided' });
  expect(await carrierLedgerOf(app.db.pool, orderId)).toMatchObject({ bookings: 0 });
  expect(await aggregate('inventory', 'sku-xx')).toMatchObject({ onHand: 5, reserved: 0 });
});

test('an outage after the capture retries forward, parks as FAILED, and an operator retry completes it', async () => {
  await stock('sku-outage', 5);
  await setSwitch(app.db.pool, 'outage_after_capture', true);
  try {
    const { sagaId, orderId } = await placeOrder({ items: [{ sku: 'sku-outage', quantity: 1, unitPrice: 100 }] });
    const failed = await app.engine.waitFor(sagaId, ['FAILED']);
    expect(failed.failure).toMatchObject({ step: 'capturePayment', error: { code: 'CONNECTION_RESET_AFTER_CAPTURE', transient: true } });
    // Never compensated past the pivot, and the money was taken exactly once.
    expect(failed.compensations.every((c) => c.status === 'registered')).toBe(true);
    expect(await paymentLedgerOf(app.db.pool, orderId)).toMatchObject({ captures: { count: 1 }, voids: { count: 0 } });
    await setSwitch(app.db.pool, 'outage_after_capture', false);
    const retry = await http(app, 'POST', `/sagas/${sagaId}/retry`, { token: true, body: { actor: 'alice', reason: 'gateway is back' } });
    expect(retry.status).toBe(202);
    const done = await app.engine.waitFor(sagaId, ['COMPLETED']);
    expect(done.operatorActions).toEqual([expect.objectContaining({ action: 'retry', actor: 'alice', reason: 'gateway is back' })]);
    expect(await paymentLedgerOf(app.db.pool, orderId)).toMatchObject({ captures: { count: 1 } });
    expect(await aggregate('order', orderId)).toMatchObject({ status: 'confirmed' });
  } finally {
    await setSwitch(app.db.pool, 'outage_after_capture', false);
  }
});

describe('a compensation that keeps failing', () => {
  const stuckOrder = async () => {
    await stock('sku-stuck', 10);
    const address = { ...orderBody().shippingAddress, country: 'XX' };
    const placed = await placeOrder({ items: [{ sku: 'sku-stuck', quantity: 1, unitPrice: 100 }], payment: { token: 'tok_unvoidable' }, shippingAddress: address });
    const view = await app.engine.waitFor(placed.sagaId, ['COMPENSATION_STUCK']);
    expect(view.compensations.find((c) => c.name === 'voidAuthorization')).toMatchObject({ status: 'stuck', error: { code: 'ISSUER_UNAVAILABLE' } });
    // The undos after the stuck one have not run yet: order of compensation is kept.
    expect(view.compensations.find((c) => c.name === 'releaseStock')?.status).toBe('registered');
    return placed;
  };

  test('parks as COMPENSATION_STUCK; an operator retry finishes it once the issuer recovers', async () => {
    const { sagaId, orderId } = await stuckOrder();
    await setSwitch(app.db.pool, 'issuer_recovered', true);
    try {
      expect((await http(app, 'POST', `/sagas/${sagaId}/retry`, { token: true, body: { actor: 'bob' } })).status).toBe(202);
      const view = await app.engine.waitFor(sagaId, ['COMPENSATED']);
      expect(view.compensations.map((c) => [c.name, c.status])).toEqual([
        ['rejectOrder', 'succeeded'],
        ['releaseStock', 'succeeded'],
        ['voidAuthorization', 'succeeded'],
        ['cancelShipment', 'succeeded'],
      ]);
      expect(view.operatorActions).toEqual([expect.objectContaining({ action: 'retry', actor: 'bob' })]);
      expect(await paymentLedgerOf(app.db.pool, orderId)).toMatchObject({ voids: { count: 1 }, openAuthorizations: 0 });
    } finally {
      await setSwitch(app.db.pool, 'issuer_recovered', false);
    }
  });

  test('an operator can resolve it by hand, with a reason, and the trail says so', async () => {
    const { sagaId } = await stuckOrder();
    const missingReason = await http(app, 'POST', `/sagas/${sagaId}/resolve`, { token: true, body: { actor: 'carol' } });
    expect(missingReason.status).toBe(400);
    expect(missingReason.body.errors).toEqual([expect.objectContaining({ field: 'reason' })]);
    const res = await http(app, 'POST', `/sagas/${sagaId}/resolve`, { token: true, body: { actor: 'carol', reason: 'voided by phone with the issuer' } });
    expect(res.status).toBe(202);
    const view = await app.engine.waitFor(sagaId, ['COMPENSATED']);
    expect(view.compensations.find((c) => c.name === 'voidAuthorization')).toMatchObject({
      status: 'resolved',
      resolution: { actor: 'carol', reason: 'voided by phone with the issuer' },
    });
    const events = (await saga(sagaId)).events;
    expect(events.at(-1)).toMatchObject({ type: 'SagaCompensated', data: { resolvedManually: ['authorizePayment'] } });
  });
});

describe('idempotency key', () => {
  test('the same key and body return the same saga; nothing runs twice', async () => {
    await stock('sku-idem', 5);
    const body = orderBody({ items: [{ sku: 'sku-idem', quantity: 1, unitPrice: 100 }] });
    // Many at once: the losers of the race must still answer with the winner's saga.
    const results = await Promise.all(
      Array.from({ length: 20 }, () => http(app, 'POST', '/orders', { body, headers: { 'idempotency-key': 'same-key' } })),
    );
    expect(new Set(results.map((r) => r.status))).toEqual(new Set([202]));
    expect(new Set(results.map((r) => r.body.orderId)).size).toBe(1);
    expect(results[0].headers.get('location')).toBe('/sagas/same-key');
    await app.engine.waitFor('same-key', ['COMPLETED']);
    expect(await aggregate('inventory', 'sku-idem')).toMatchObject({ onHand: 4 });
    expect(await paymentLedgerOf(app.db.pool, results[0].body.orderId)).toMatchObject({ authorizations: { count: 1 }, captures: { count: 1 } });
  });

  test('the same key with another body is refused with 409', async () => {
    await placeOrder({}, 'key-conflict');
    const res = await http(app, 'POST', '/orders', { body: orderBody({ customerId: 'someone-else' }), headers: { 'idempotency-key': 'key-conflict' } });
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  test('without a key every request is a new saga', async () => {
    const a = await http(app, 'POST', '/orders', { body: orderBody() });
    const b = await http(app, 'POST', '/orders', { body: orderBody() });
    expect(a.body.sagaId).not.toBe(b.body.sagaId);
    await app.engine.waitFor(a.body.sagaId, ['COMPLETED', 'COMPENSATED']);
    await app.engine.waitFor(b.body.sagaId, ['COMPLETED', 'COMPENSATED']);
  });
});

test('a hot SKU under concurrent orders never oversells', async () => {
  await stock('sku-hot', 5);
  const orders = await Promise.all(
    Array.from({ length: 12 }, (_, i) => placeOrder({ items: [{ sku: 'sku-hot', quantity: 1, unitPrice: 100 }] }, `hot-${i}`)),
  );
  const views = await Promise.all(orders.map((o) => app.engine.waitFor(o.sagaId, ['COMPLETED', 'COMPENSATED'])));
  expect(views.filter((v) => v.status === 'COMPLETED')).toHaveLength(5);
  for (const v of views.filter((v) => v.status === 'COMPENSATED')) {
    expect(v.steps.find((s) => s.name === 'reserveStock')?.error?.code).toBe('INSUFFICIENT_STOCK');
  }
  expect(await aggregate('inventory', 'sku-hot')).toEqual({ onHand: 0, reserved: 0, available: 0 });
});
