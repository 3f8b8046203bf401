import { createRegistry } from '../../src/app';
import { EventStore } from '../../src/eventstore';
import { carrierLedgerOf, paymentLedgerOf } from '../../src/providers';
import { OperatorActionRequested, sagaStreamId } from '../../src/saga/events';
import { sagaEnd } from '../../scripts/invariants';
import { freePort, startServer, type ServerProcess } from '../../scripts/server-process';
import { ADMIN_TOKEN, orderBody } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { until } from '../support/until';

/**
 * The process dies after the payment gateway authorized but before DBOS
 * checkpointed the answer; an operator cancels the saga while it is down. The
 * replay must not let the cancel hide the authorization the dead run made: it
 * calls again (the gateway answers from its books, by the idempotency key),
 * records the authorization, and the compensation voids it. Checked against
 * the gateway's own tables.
 */
let db: TestDatabase;
let port: number;
let server: ServerProcess | undefined;

const env = (extra: Record<string, string> = {}) => ({
  DATABASE_URL: db.url,
  PORT: String(port),
  DBOS_EXECUTOR_ID: 'cancel-while-down',
  ADMIN_TOKEN,
  STEP_RETRY_BASE_MS: '10',
  ...extra,
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}`, ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { orderId: string } };
}

beforeAll(async () => {
  db = await createTestDatabase('cancel_down');
  port = await freePort();
});
afterAll(async () => {
  await server?.kill();
  await db.drop();
});

test('a cancel recorded while the process is down, after a call it made, still gets that call’s effect undone', async () => {
  server = await startServer(env({ SAGA_CRASH_POINT: 'after-call:authorizePayment' }), 'cancel-down-1');
  expect((await post('/inventory/sku-down/stock', { quantity: 10 })).status).toBe(200);
  const sagaId = 'cancel-down-1';
  const placed = await post('/orders', orderBody({ items: [{ sku: 'sku-down', quantity: 2, unitPrice: 500 }] }), { 'idempotency-key': sagaId });
  expect(placed.status).toBe(202);
  expect(await server.exited).toBe('SIGKILL');
  expect((await paymentLedgerOf(db.pool, placed.body.orderId)).authorizations.count).toBe(1);

  // The operator's cancel, as the API records it, while no process runs the saga.
  const store = new EventStore(db.pool, createRegistry());
  await store.append(sagaStreamId(sagaId), [OperatorActionRequested({ action: 'cancel', actor: 'ops', reason: 'customer called' })]);

  server = await startServer(env(), 'cancel-down-2');
  expect(await until('the saga ends', () => sagaEnd(db.pool, sagaId), 30_000)).toBe('COMPENSATED');
  const payment = await paymentLedgerOf(db.pool, placed.body.orderId);
  expect([payment.authorizations.count, payment.voids.count, payment.captures.count, payment.openAuthorizations]).toEqual([1, 1, 0, 0]);
  expect((await carrierLedgerOf(db.pool, placed.body.orderId)).bookings).toBe(0);
});
