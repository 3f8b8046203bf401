import { paymentLedgerOf, setSwitch } from '../../src/providers';
import type { SagaView } from '../../src/saga/state';
import { http, orderBody, startTestApp, type TestApp } from '../support/app';
import { until } from '../support/until';

/**
 * The pivot is passed the moment its effect may have happened: once the
 * engine has recorded PivotEntered (before it asks the gateway to capture),
 * no cancel and no deadline can compensate the saga, whatever the capture's
 * retries are doing. Checked against the gateway's own books, not only our
 * events: a "compensated" order must never hold a capture.
 */
let app: TestApp;
const SKU = 'sku-pivot';

beforeAll(async () => {
  // Each step waits 60 ms first, so a cancel can be aimed before or after the pivot is entered.
  app = await startTestApp('pivot', { stepMaxAttempts: 2, recoveryRounds: 3, recoveryRoundDelayMs: 500, stepDelayMs: 60 });
  await http(app, 'POST', `/inventory/${SKU}/stock`, { body: { quantity: 1000 }, token: true });
});
afterAll(() => app.close());
afterEach(() => setSwitch(app.db.pool, 'outage_after_capture', false));

const order = () => orderBody({ items: [{ sku: SKU, quantity: 1, unitPrice: 100 }] });
const view = async (sagaId: string) => (await app.engine.view(sagaId)) as SagaView;
const cancel = (sagaId: string) => http(app, 'POST', `/sagas/${sagaId}/cancel`, { token: true, body: { actor: 'ops', reason: 'customer called' } });

/** The capture failed at least once (its answer lost after the money moved) and the saga is between rounds. */
const inPivotRetries = (sagaId: string) =>
  until('the capture to fail and be retried', async () => {
    const v = await view(sagaId);
    return v?.status === 'RUNNING' && v.steps.some((s) => s.name === 'capturePayment' && s.status === 'failed') && v;
  });

async function finishForward(sagaId: string): Promise<SagaView> {
  await setSwitch(app.db.pool, 'outage_after_capture', false);
  const parked = await app.engine.waitFor(sagaId, ['COMPLETED', 'FAILED']);
  if (parked.status === 'FAILED') expect((await http(app, 'POST', `/sagas/${sagaId}/retry`, { token: true, body: { actor: 'ops' } })).status).toBe(202);
  return app.engine.waitFor(sagaId, ['COMPLETED']);
}

/** What the gateway's own tables hold for the order. */
const books = (orderId: string) => paymentLedgerOf(app.db.pool, orderId);

test('a cancel during the pivot\'s retries is refused (409, naming the pivot); the saga goes forward and the gateway keeps one capture', async () => {
  await setSwitch(app.db.pool, 'outage_after_capture', true);
  const { sagaId, orderId } = (await http(app, 'POST', '/orders', { body: order() })).body;
  const retrying = await inPivotRetries(sagaId);
  expect(retrying.pivot).toEqual({ step: 'capturePayment', enteredAt: expect.any(String) });

  const refused = await cancel(sagaId);
  expect(refused.status).toBe(409);
  expect(refused.body.detail).toMatch(/past its pivot: capturePayment was entered at/);
  // The money moved although no answer said so.
  expect(await books(orderId)).toMatchObject({ authorizations: { count: 1 }, captures: { count: 1 }, voids: { count: 0 }, refunds: { count: 0 } });

  // Parked FAILED after its rounds: still past the pivot, through the API as well, and still not cancellable.
  const failed = await app.engine.waitFor(sagaId, ['FAILED']);
  expect(failed.pivoted).toBe(true);
  const detail = (await http(app, 'GET', `/sagas/${sagaId}`)).body;
  expect(detail).toMatchObject({ status: 'FAILED', pivoted: true, pivot: { step: 'capturePayment' } });
  expect((await cancel(sagaId)).status).toBe(409);

  const done = await finishForward(sagaId);
  expect(done.compensations.every((c) => c.status === 'registered')).toBe(true);
  const events = await app.store.readStream(`saga-${sagaId}`);
  expect(events.map((e) => e.type)).not.toContain('SagaCompensating');
  expect(events.filter((e) => e.type === 'OperatorActionRequested').map((e) => (e.data as { action: string }).action)).toEqual(['retry']);
  expect(await books(orderId)).toMatchObject({ captures: { count: 1 }, voids: { count: 0 }, refunds: { count: 0 }, openAuthorizations: 0 });
  expect((await http(app, 'GET', `/aggregates/order/${orderId}`)).body.state).toMatchObject({ status: 'confirmed' });
});

test('a deadline that passes during the pivot\'s retries does not compensate: the saga goes forward', async () => {
  await setSwitch(app.db.pool, 'outage_after_capture', true);
  const orderId = 'order-pivot-deadline';
  // Long enough to reach the pivot on a busy machine; it passes during the retries that follow.
  await app.engine.start('order-fulfillment', 'pivot-deadline', { ...order(), orderId }, { deadlineSeconds: 3 });
  await inPivotRetries('pivot-deadline');
  const started = (await app.store.readStream('saga-pivot-deadline'))[0].data as { deadline: string };
  // Keep the capture failing until the deadline is well past, with the saga still retrying it.
  await until('the deadline to pass', async () => Date.now() > Date.parse(started.deadline) + 300);
  expect((await view('pivot-deadline')).status).not.toMatch(/COMPENSAT/);

  const done = await finishForward('pivot-deadline');
  expect(done.status).toBe('COMPLETED');
  const types = (await app.store.readStream('saga-pivot-deadline')).map((e) => e.type);
  expect(types).not.toContain('SagaCompensating');
  expect(types.filter((t) => t === 'StepFailed').length).toBeGreaterThan(0);
  expect(await books(orderId)).toMatchObject({ captures: { count: 1 }, voids: { count: 0 }, refunds: { count: 0 } });
});

test('a cancel racing the pivot\'s first attempt either wins before the pivot is entered or is refused: never both', async () => {
  // Sagas slowed down a little, cancels fired at spread moments around the pivot.
  const outcomes: { accepted: boolean; status: string; captures: number; voids: number; authorizations: number }[] = [];
  for (let i = 0; i < 8; i++) {
    const { sagaId, orderId } = (await http(app, 'POST', '/orders', { body: order() })).body;
    await until('the shipment to be booked', async () => (await view(sagaId))?.steps.some((s) => s.name === 'bookShipment'));
    await new Promise((r) => setTimeout(r, i * 12));
    const res = await cancel(sagaId);
    expect([202, 409]).toContain(res.status);
    const end = await app.engine.waitFor(sagaId, ['COMPLETED', 'COMPENSATED']);
    const ledger = await books(orderId);
    outcomes.push({ accepted: res.status === 202, status: end.status, captures: ledger.captures.count, voids: ledger.voids.count, authorizations: ledger.authorizations.count });
  }
  for (const o of outcomes) {
    // An accepted cancel compensates with nothing captured and the authorization voided;
    // a refused one completes with one capture and no void.
    if (o.accepted) expect(o).toEqual({ accepted: true, status: 'COMPENSATED', captures: 0, voids: 1, authorizations: 1 });
    else expect(o).toEqual({ accepted: false, status: 'COMPLETED', captures: 1, voids: 0, authorizations: 1 });
  }
});
