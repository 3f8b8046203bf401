import { paymentLedgerOf } from '../../src/providers';
import { http, orderBody, startTestApp, type TestApp } from '../support/app';

/** Every step takes 300 ms here, so a saga can be caught in the middle. */
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp('cancel', { stepDelayMs: 300, sagaDeadlineSeconds: 60 });
  await http(app, 'POST', '/inventory/sku-c/stock', { body: { quantity: 100 }, token: true });
});
afterAll(() => app.close());

test('cancel mid-saga stops going forward and compensates what was done', async () => {
  const res = await http(app, 'POST', '/orders', { body: orderBody({ items: [{ sku: 'sku-c', quantity: 2, unitPrice: 100 }] }) });
  const { sagaId, orderId } = res.body;
  // Wait until the payment is authorized, then cancel before the capture.
  for (;;) {
    const view = await app.engine.view(sagaId);
    if (view?.steps.some((s) => s.name === 'authorizePayment')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const cancel = await http(app, 'POST', `/sagas/${sagaId}/cancel`, { token: true, body: { actor: 'gus', reason: 'changed mind' } });
  expect(cancel.status).toBe(202);
  const view = await app.engine.waitFor(sagaId, ['COMPENSATED']);
  expect(view.compensationReason).toBe('changed mind');
  expect(view.steps.map((s) => s.name)).not.toContain('capturePayment');
  expect(await paymentLedgerOf(app.db.pool, orderId)).toMatchObject({ authorizations: { count: 1 }, voids: { count: 1 }, captures: { count: 0 } });
  expect((await http(app, 'GET', '/aggregates/inventory/sku-c')).body.state).toMatchObject({ onHand: 100, reserved: 0 });
});

test('cancel past the pivot is refused: the saga only goes forward', async () => {
  const res = await http(app, 'POST', '/orders', { body: orderBody({ items: [{ sku: 'sku-c', quantity: 1, unitPrice: 100 }] }) });
  const { sagaId } = res.body;
  for (;;) {
    const view = await app.engine.view(sagaId);
    if (view?.pivoted) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const cancel = await http(app, 'POST', `/sagas/${sagaId}/cancel`, { token: true, body: {} });
  expect(cancel.status).toBe(409);
  await app.engine.waitFor(sagaId, ['COMPLETED']);
});

test('a saga past its deadline compensates', async () => {
  // A deadline already near: the next step's check finds it passed.
  await app.engine.start('order-fulfillment', 'deadline-1', {
    ...orderBody({ items: [{ sku: 'sku-c', quantity: 1, unitPrice: 100 }] }),
    orderId: 'order-deadline-1',
  }, { deadlineSeconds: 0.5 });
  const view = await app.engine.waitFor('deadline-1', ['COMPENSATED']);
  expect(view.compensationReason).toMatch(/^saga deadline .* passed$/);
  expect((await app.store.readStream('saga-deadline-1')).find((e) => e.type === 'SagaCompensating')?.data).toMatchObject({ cause: 'deadline' });
});
