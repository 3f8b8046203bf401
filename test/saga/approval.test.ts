import { paymentLedgerOf } from '../../src/providers';
import { http, orderBody, startTestApp, type TestApp } from '../support/app';

/** Orders above 500 wait for an operator; the wait times out after 2 s. */
let app: TestApp;
let n = 0;

beforeAll(async () => {
  app = await startTestApp('approval', { approvalThreshold: 500, approvalTimeoutSeconds: 2 });
  await http(app, 'POST', '/inventory/sku-big/stock', { body: { quantity: 100 }, token: true });
});
afterAll(() => app.close());

async function bigOrder() {
  const res = await http(app, 'POST', '/orders', {
    body: orderBody({ items: [{ sku: 'sku-big', quantity: 1, unitPrice: 900 }] }),
    headers: { 'idempotency-key': `big-${++n}` },
  });
  const view = await app.engine.waitFor(res.body.sagaId, ['AWAITING_APPROVAL']);
  // Waiting with the stock reserved and the payment authorized, nothing shipped.
  expect(view.steps.map((s) => s.name)).toEqual(['placeOrder', 'reserveStock', 'authorizePayment']);
  return res.body as { sagaId: string; orderId: string };
}

test('a small order does not wait', async () => {
  const res = await http(app, 'POST', '/orders', { body: orderBody({ items: [{ sku: 'sku-big', quantity: 1, unitPrice: 100 }] }) });
  await app.engine.waitFor(res.body.sagaId, ['COMPLETED']);
});

test('approve: the saga goes on and completes; the approval is on record', async () => {
  const { sagaId } = await bigOrder();
  const res = await http(app, 'POST', `/sagas/${sagaId}/approve`, { token: true, body: { actor: 'dana', reason: 'known customer' } });
  expect(res.status).toBe(202);
  const view = await app.engine.waitFor(sagaId, ['COMPLETED']);
  const types = (await app.store.readStream(`saga-${sagaId}`)).map((e) => e.type);
  expect(types).toEqual(expect.arrayContaining(['SagaAwaitingApproval', 'OperatorActionRequested', 'SagaApproved']));
  expect(view.operatorActions).toEqual([expect.objectContaining({ action: 'approve', actor: 'dana', reason: 'known customer' })]);
});

test('the request reaches the waiting saga as a message written with its event (one transaction, keyed by the event id)', async () => {
  const { sagaId } = await bigOrder();
  expect((await http(app, 'POST', `/sagas/${sagaId}/approve`, { token: true, body: { actor: 'dana' } })).status).toBe(202);
  await app.engine.waitFor(sagaId, ['COMPLETED']);
  const { rows } = await app.db.pool.query<{ id: string; message_id: string }>(
    `SELECT e.event_id::text AS id, n.message_uuid AS message_id
       FROM events e JOIN dbos.notifications n ON n.destination_uuid = $1
      WHERE e.stream_id = $2 AND e.type = 'OperatorActionRequested'`,
    [sagaId, `saga-${sagaId}`],
  );
  // One message, named after the event: a repeated send of the same request is dropped.
  expect(rows).toEqual([{ id: rows[0]?.id, message_id: rows[0]?.id }]);
});

test('reject: compensates, voiding the authorization', async () => {
  const { sagaId, orderId } = await bigOrder();
  await http(app, 'POST', `/sagas/${sagaId}/reject`, { token: true, body: { actor: 'erin', reason: 'suspicious' } });
  const view = await app.engine.waitFor(sagaId, ['COMPENSATED']);
  expect(view.compensationReason).toBe('rejected by erin: suspicious');
  expect(await paymentLedgerOf(app.db.pool, orderId)).toMatchObject({ authorizations: { count: 1 }, voids: { count: 1 }, captures: { count: 0 } });
  expect((await http(app, 'GET', `/aggregates/order/${orderId}`)).body.state).toMatchObject({ status: 'rejected', reason: 'rejected by erin: suspicious' });
});

test('no answer in time: the approval times out and the saga compensates', async () => {
  const { sagaId, orderId } = await bigOrder();
  const view = await app.engine.waitFor(sagaId, ['COMPENSATED'], 15_000);
  expect(view.compensationReason).toBe('no approval within 2s');
  expect(await paymentLedgerOf(app.db.pool, orderId)).toMatchObject({ voids: { count: 1 }, captures: { count: 0 } });
  expect((await http(app, 'GET', '/aggregates/inventory/sku-big')).body.state.reserved).toBe(0);
});

test('cancel while awaiting approval compensates', async () => {
  const { sagaId } = await bigOrder();
  await http(app, 'POST', `/sagas/${sagaId}/cancel`, { token: true, body: { actor: 'fay', reason: 'customer called' } });
  const view = await app.engine.waitFor(sagaId, ['COMPENSATED']);
  expect(view.compensationReason).toBe('cancelled by fay: customer called');
});

describe('operator actions are checked', () => {
  test('without the bearer token: 401, nothing recorded', async () => {
    const { sagaId } = await bigOrder();
    const res = await http(app, 'POST', `/sagas/${sagaId}/approve`, { body: { actor: 'mallory' }, token: false });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const wrong = await http(app, 'POST', `/sagas/${sagaId}/approve`, { body: {}, headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect((await app.engine.view(sagaId))!.operatorActions).toEqual([]);
    await http(app, 'POST', `/sagas/${sagaId}/reject`, { token: true, body: { actor: 'cleanup' } });
    await app.engine.waitFor(sagaId, ['COMPENSATED']);
  });

  test('an action that does not fit the status: 409, nothing recorded', async () => {
    const res = await http(app, 'POST', '/orders', { body: orderBody({ items: [{ sku: 'sku-big', quantity: 1, unitPrice: 100 }] }) });
    await app.engine.waitFor(res.body.sagaId, ['COMPLETED']);
    const before = (await app.store.readStream(`saga-${res.body.sagaId}`)).length;
    for (const action of ['approve', 'cancel', 'retry', 'resolve']) {
      const r = await http(app, 'POST', `/sagas/${res.body.sagaId}/${action}`, { token: true, body: { reason: 'x' } });
      expect(r.status).toBe(409);
      expect(r.body.detail).toContain('it is COMPLETED');
    }
    expect((await app.store.readStream(`saga-${res.body.sagaId}`)).length).toBe(before);
  });

  test('an unknown saga: 404', async () => {
    expect((await http(app, 'POST', '/sagas/nope/approve', { token: true, body: {} })).status).toBe(404);
    expect((await http(app, 'GET', '/sagas/nope')).status).toBe(404);
  });
});
