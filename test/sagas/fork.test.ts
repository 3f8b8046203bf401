import { DBOS } from '@dbos-inc/dbos-sdk';
import { paymentLedgerOf } from '../../src/providers';
import type { SagaView } from '../../src/saga/state';
import { http, orderBody, startTestApp, type TestApp } from '../support/app';

/**
 * POST /sagas/:id/fork re-runs a finished saga from one of its steps as a new
 * saga (DBOS fork). The fork has its own stream and command ids (its re-run
 * steps are decided again, not answered from the original's records) but the
 * original's provider idempotency keys (money never moves twice).
 */
const DEADLINE_SECONDS = 6;
let app: TestApp;
let n = 0;

beforeAll(async () => {
  app = await startTestApp('fork', { approvalThreshold: 100_000, sagaDeadlineSeconds: DEADLINE_SECONDS });
});
afterAll(() => app.close());

async function completedOrder(overrides: Record<string, unknown> = {}, status: 'COMPLETED' | 'COMPENSATED' = 'COMPLETED') {
  const sku = `sku-fork-${++n}`;
  await http(app, 'POST', `/inventory/${sku}/stock`, { body: { quantity: 10 }, token: true });
  const res = await http(app, 'POST', '/orders', { body: orderBody({ items: [{ sku, quantity: 2, unitPrice: 150 }], ...overrides }) });
  expect(res.status).toBe(202);
  const view = await app.engine.waitFor(res.body.sagaId, [status]);
  return { sku, orderId: res.body.orderId as string, sagaId: res.body.sagaId as string, view };
}

const fork = (sagaId: string, body: unknown, headers: Record<string, string> = {}) =>
  http(app, 'POST', `/sagas/${sagaId}/fork`, { body, headers, token: true });

/** One sample of GET /metrics, e.g. metric('saga_started_total', 'saga_type="order-fulfillment"'). */
async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${app.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.split(' ').pop()) : 0;
}

const streamEvents = (sagaId: string) => app.store.readStream(`saga-${sagaId}`);
const stepNames = (view: SagaView) => view.steps.map((s) => s.name);

test('a fork from the pivot is a new saga, linked both ways, that re-runs its steps under its own ids and captures once', async () => {
  const { sagaId: original, orderId } = await completedOrder();
  const placeOrderRuns = () => metric('saga_step_duration_seconds_count', 'step="placeOrder"');
  const [startedBefore, placedBefore] = [await metric('saga_started_total', 'order-fulfillment'), await placeOrderRuns()];

  const res = await fork(original, { fromStep: 'capturePayment', actor: 'ops-ann', reason: 'check the capture' });
  expect(res.status).toBe(202);
  const forked = res.body.sagaId as string;
  expect(res.body).toMatchObject({ forkedFrom: original, stepName: 'capturePayment', fromStep: expect.any(Number) });
  expect(res.headers.get('location')).toBe(`/sagas/${forked}`);
  const view = await app.engine.waitFor(forked, ['COMPLETED']);

  // The fork's story is complete: inherited steps (copied, marked), then its own.
  expect(view).toMatchObject({ type: 'order-fulfillment', businessKey: orderId, pivoted: true, forkedFrom: { sagaId: original, stepName: 'capturePayment' } });
  expect(stepNames(view)).toEqual(['placeOrder', 'reserveStock', 'authorizePayment', 'bookShipment', 'capturePayment', 'confirmOrder']);
  expect(view.compensations.map((c) => c.name)).toEqual(['rejectOrder', 'releaseStock', 'voidAuthorization', 'cancelShipment']);
  const events = await streamEvents(forked);
  expect(events.slice(0, 2).map((e) => e.type)).toEqual(['SagaStarted', 'SagaForked']);
  expect(events[1].data).toEqual({ from: original, to: forked, fromStep: res.body.fromStep, stepName: 'capturePayment', actor: 'ops-ann', reason: 'check the capture' });
  const inherited = events.filter((e) => e.metadata.inheritedFrom === original);
  expect(inherited.filter((e) => e.type === 'StepSucceeded').map((e) => (e.data as { step: string }).step)).toEqual([
    'placeOrder', 'reserveStock', 'authorizePayment', 'bookShipment',
  ]);
  // Re-run, not swallowed: from the pivot on, the fork's own DBOS steps wrote its own events.
  const own = events.filter((e) => e.metadata.inheritedFrom === undefined && typeof e.metadata.commandId === 'string');
  expect(own.map((e) => [e.type, e.metadata.commandId])).toEqual([
    ['SagaStarted', `fork:${forked}`],
    ['SagaForked', `fork:${forked}`],
    ['PivotEntered', `${forked}/7-capturePayment.enter`],
    ['StepSucceeded', `${forked}/9-capturePayment`],
    ['StepSucceeded', `${forked}/10-confirmOrder`],
    ['SagaCompleted', `${forked}/10-confirmOrder`],
  ]);

  // Linked from the original too; its own story is otherwise untouched.
  const originalView = (await app.engine.view(original))!;
  expect(originalView.status).toBe('COMPLETED');
  expect(originalView.forks).toEqual([expect.objectContaining({ sagaId: forked, stepName: 'capturePayment', actor: 'ops-ann' })]);
  expect((await DBOS.getWorkflowStatus(forked))?.forkedFrom).toBe(original);

  // The gateway saw the original's key again: one capture, one payment fact.
  expect(await paymentLedgerOf(app.db.pool, orderId)).toMatchObject({ authorizations: { count: 1 }, captures: { count: 1 } });
  const payments = await app.store.readStream(`payment-${orderId}`);
  expect(payments.map((e) => e.type)).toEqual(['PaymentAuthorized', 'PaymentCaptured']);

  // Metrics count the fork as a saga started, but not its inherited copies as steps run again.
  expect(await metric('saga_started_total', 'order-fulfillment')).toBe(startedBefore + 1);
  expect(await placeOrderRuns()).toBe(placedBefore);
});

test('a fork of a return saga from its pivot refunds nothing twice and restocks once', async () => {
  const { sku, orderId } = await completedOrder();
  const ret = await http(app, 'POST', `/orders/${orderId}/return`, { body: { reason: 'broken' } });
  await app.engine.waitFor(ret.body.sagaId, ['COMPLETED']);

  // Before the pivot is refused: the fork would hold undos of a finished return.
  const early = await fork(ret.body.sagaId, { fromStep: 0, actor: 'ops-bob' });
  expect(early).toMatchObject({ status: 400, body: { detail: expect.stringMatching(/passed its pivot refundPayment/) } });

  const res = await fork(ret.body.sagaId, { fromStep: 'refundPayment', actor: 'ops-bob' });
  expect(res.status).toBe(202);
  const view = await app.engine.waitFor(res.body.sagaId, ['COMPLETED']);
  expect(stepNames(view)).toEqual(['acceptReturn', 'refundPayment', 'restockItems', 'completeReturn']);
  const events = await streamEvents(res.body.sagaId);
  expect(events.filter((e) => e.type === 'StepSucceeded' && !e.metadata.inheritedFrom).map((e) => (e.data as { step: string }).step)).toEqual([
    'refundPayment', 'restockItems', 'completeReturn',
  ]);

  expect(await paymentLedgerOf(app.db.pool, orderId)).toMatchObject({ refunds: { count: 1, amount: 300 } });
  const restocks = (await app.store.readStream(`inventory-${sku}`)).filter((e) => e.type === 'StockRestocked');
  expect(restocks).toHaveLength(1);
  expect((await http(app, 'GET', `/aggregates/inventory/${sku}`)).body.state).toEqual({ onHand: 10, reserved: 0, available: 10 });
});

test('a fork gets the refusal the provider recorded under the original key: a declined card stays declined', async () => {
  const { sagaId: original, orderId } = await completedOrder({ payment: { token: 'tok_declined' } }, 'COMPENSATED');
  // `actor` is optional, as documented: the fork is recorded as the operator's.
  const res = await fork(original, { fromStep: 'authorizePayment' });
  expect(res.status).toBe(202);
  const view = await app.engine.waitFor(res.body.sagaId, ['COMPENSATED']);
  expect(view.steps.find((s) => s.name === 'authorizePayment')).toMatchObject({ status: 'failed', error: { code: 'CARD_DECLINED' } });
  // Undos of the inherited steps find their work already undone by the original.
  expect(view.compensations.map((c) => [c.name, c.status])).toEqual([
    ['rejectOrder', 'succeeded'], ['releaseStock', 'succeeded'], ['voidAuthorization', 'succeeded'],
  ]);
  expect(await paymentLedgerOf(app.db.pool, orderId)).toMatchObject({ authorizations: { count: 0 } });
});

test('a fork has a deadline of its own, not the long-past one of the input DBOS copied', async () => {
  // The carrier refuses country XX: compensated after bookShipment failed.
  const address = { ...orderBody().shippingAddress, country: 'XX' };
  const { sagaId: original, view } = await completedOrder({ shippingAddress: address }, 'COMPENSATED');
  const deadline = Date.parse(view.startedAt) + DEADLINE_SECONDS * 1000;
  await new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now() + 200)));
  // bookShipment is before the pivot, where the deadline is checked: it runs
  // (and meets the carrier's recorded refusal) instead of being cut short.
  const res = await fork(original, { fromStep: 'bookShipment', actor: 'ops' });
  const forked = await app.engine.waitFor(res.body.sagaId, ['COMPENSATED']);
  expect(forked.compensationReason).toMatch(/^bookShipment failed: /);
});

test('fork is an operator action with checked input, refused for unknown and unfinished sagas, idempotent by key', async () => {
  const { sagaId: original } = await completedOrder();
  expect((await http(app, 'POST', `/sagas/${original}/fork`, { body: { fromStep: 0, actor: 'x' }, token: false })).status).toBe(401);
  expect((await fork('no-such-saga', { fromStep: 0, actor: 'x' })).status).toBe(404);
  const badStep = await fork(original, { fromStep: 'noSuchStep', actor: 'x' });
  expect(badStep).toMatchObject({ status: 400, body: { errors: [{ field: 'fromStep' }] } });
  expect((await fork(original, { fromStep: 999, actor: 'x' })).status).toBe(400);
  expect((await fork(original, { fromStep: -1, actor: 'x' })).status).toBe(400);
  expect((await fork(original, { fromStep: 0 })).status).toBe(400);

  // Above the approval threshold: the saga waits, unfinished.
  const big = await http(app, 'POST', '/orders', { body: orderBody({ items: [{ sku: 'sku-none', quantity: 1, unitPrice: 200_000 }] }) });
  expect(big.status).toBe(202);
  const waiting = big.body.sagaId as string;
  await app.engine.waitFor(waiting, ['AWAITING_APPROVAL', 'COMPENSATED']);
  if ((await app.engine.view(waiting))!.status === 'AWAITING_APPROVAL') {
    expect((await fork(waiting, { fromStep: 0, actor: 'x' })).status).toBe(409);
  }

  const key = { 'idempotency-key': `fork-key-${n}` };
  const first = await fork(original, { fromStep: 'confirmOrder', actor: 'x' }, key);
  const again = await fork(original, { fromStep: 'confirmOrder', actor: 'x' }, key);
  expect(first.status).toBe(202);
  expect(again).toMatchObject({ status: 202, body: { sagaId: `fork-key-${n}` } });
  await app.engine.waitFor(`fork-key-${n}`, ['COMPLETED']);
  expect((await app.engine.view(original))!.forks).toHaveLength(1);
  // A key that names another saga is refused.
  expect((await fork(original, { fromStep: 'confirmOrder', actor: 'x' }, { 'idempotency-key': waiting })).status).toBe(409);
});
