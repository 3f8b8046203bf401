import { DBOS } from '@dbos-inc/dbos-sdk';
import { paymentLedgerOf } from '../../src/providers';
import { http, orderBody, startTestApp, type TestApp } from '../support/app';

/**
 * The order-returns process manager in the whole service: reading a
 * ReturnRequested event again — after the saga finished, or while it is still
 * running — starts no second saga and refunds nothing twice, because the saga
 * id is derived from the event id and DBOS starts an id once.
 */
let app: TestApp;

beforeAll(async () => {
  // Slow steps, so a replay can land while a return saga is still running.
  app = await startTestApp('pm_returns', { approvalThreshold: 100_000, stepDelayMs: 150 });
});
afterAll(() => app.close());

const checkpoint = async () =>
  (await app.db.pool.query(`SELECT position FROM consumer_checkpoints WHERE name = 'order-returns'`)).rows[0].position as number;

/** Rewind the durable checkpoint to the start of the feed and wait until the runner has read it all again. */
async function replayEverything(): Promise<void> {
  const head = (await app.store.head()).position;
  // A reset from zero, as an operator would ask for it (POST /consumers/order-returns/rebuild).
  expect((await app.consumers.rebuild('order-returns')).started).toBe(true);
  for (let i = 0; i < 400 && (await checkpoint()) < head; i++) await new Promise((r) => setTimeout(r, 25));
  expect(await checkpoint()).toBeGreaterThanOrEqual(head);
}

async function returnedOrder() {
  await http(app, 'POST', '/inventory/sku-pm/stock', { body: { quantity: 10 }, token: true });
  const order = await http(app, 'POST', '/orders', { body: orderBody({ items: [{ sku: 'sku-pm', quantity: 1, unitPrice: 500 }] }) });
  await app.engine.waitFor(order.body.sagaId, ['COMPLETED']);
  const ret = await http(app, 'POST', `/orders/${order.body.orderId}/return`, { body: { reason: 'wrong colour' } });
  expect(ret.status).toBe(202);
  return { orderId: order.body.orderId as string, sagaId: ret.body.sagaId as string };
}

const returnSagas = async () => (await DBOS.listWorkflows({ workflowName: 'saga.order-return' })).map((w) => w.workflowID);
const restocks = async (orderId: string) =>
  (await app.store.readStream('inventory-sku-pm')).filter((e) => e.type === 'StockRestocked' && (e.data as { orderId: string }).orderId === orderId);

test('a ReturnRequested read again after its saga completed starts nothing and refunds nothing', async () => {
  const { orderId, sagaId } = await returnedOrder();
  await app.engine.waitFor(sagaId, ['COMPLETED']);
  expect(await returnSagas()).toEqual([sagaId]);

  await replayEverything();

  expect(await returnSagas()).toEqual([sagaId]);
  expect(await paymentLedgerOf(app.db.pool, orderId)).toMatchObject({ refunds: { count: 1, amount: 500 } });
  expect(await restocks(orderId)).toHaveLength(1);
  const started = (await app.store.readStream(`saga-${sagaId}`)).filter((e) => e.type === 'SagaStarted');
  expect(started).toHaveLength(1);
});

test('a ReturnRequested read again while its saga runs does not start a second run', async () => {
  const { orderId, sagaId } = await returnedOrder();
  // The saga takes a few hundred milliseconds (slow steps): replay at once.
  await new Promise((r) => setTimeout(r, 100));
  expect((await app.engine.view(sagaId))?.status ?? 'RUNNING').toBe('RUNNING');
  await replayEverything();
  const view = await app.engine.waitFor(sagaId, ['COMPLETED']);

  expect(view.steps.map((s) => s.name)).toEqual(['acceptReturn', 'refundPayment', 'restockItems', 'completeReturn']);
  expect(await returnSagas()).toHaveLength(2);
  expect((await DBOS.getWorkflowStatus(sagaId))?.recoveryAttempts).toBeLessThanOrEqual(1);
  expect(await paymentLedgerOf(app.db.pool, orderId)).toMatchObject({ refunds: { count: 1, amount: 500 } });
  expect(await restocks(orderId)).toHaveLength(1);
});
