import { createRegistry } from '../../src/app';
import { EventStore } from '../../src/eventstore';
import { carrierLedger, carrierLedgerOf, paymentLedger, paymentLedgerOf } from '../../src/providers';
import { OperatorActionRequested, sagaStreamId } from '../../src/saga/events';
import { sagaEnd } from '../../scripts/invariants';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { ADMIN_TOKEN, credential, orderBody } from '../support/app';
import { until } from '../support/until';
import { freePort, startServer, type ServerProcess } from '../../scripts/server-process';

/**
 * Kill -9 the real server at chosen points of real sagas, restart it with the
 * same executor id, and check that every saga ends where it should with
 * nothing done twice and nothing lost.
 *
 * The crash points (src/saga/crash-points.ts) cover each phase of a step:
 * "before-effect:<step>" kills inside the step before its effect (before its
 * provider call, or inside its transaction before it decides);
 * "after-call:<step>" kills after the provider answered and before DBOS
 * checkpointed the answer, so the call is repeated (the idempotency key must
 * make that harmless); "after-commit:<step>" kills right after the step's
 * transaction (events and DBOS checkpoint together) committed, so the replay
 * must find the checkpoint and not decide (or charge) again.
 * "after-commit:capturePayment.enter" kills between entering the pivot and
 * calling the gateway.
 */
const SKU = 'sku-crash';
const INITIAL_STOCK = 1000;

interface Scenario {
  crash: string;
  /** Orders that compensate: the carrier refuses country XX after the payment was authorized. */
  compensates: boolean;
}

const scenarios: Scenario[] = [
  ...['before-effect:placeOrder', 'after-commit:placeOrder', 'after-commit:reserveStock', 'before-effect:authorizePayment',
    'after-call:authorizePayment', 'after-commit:authorizePayment', 'after-commit:bookShipment',
    'after-commit:capturePayment.enter', 'before-effect:capturePayment', 'after-call:capturePayment', 'after-commit:capturePayment',
    'after-commit:confirmOrder'].map((crash) => ({ crash, compensates: false })),
  ...['after-call:cancelShipment', 'after-commit:cancelShipment', 'after-call:voidAuthorization', 'after-commit:voidAuthorization',
    'before-effect:releaseStock', 'after-commit:rejectOrder']
    .map((crash) => ({ crash, compensates: true })),
];

let db: TestDatabase;
let port: number;
let server: ServerProcess | undefined;
const placed: { sagaId: string; orderId: string; compensates: boolean }[] = [];

const env = (extra: Record<string, string> = {}) => ({
  DATABASE_URL: db.url,
  PORT: String(port),
  DBOS_EXECUTOR_ID: 'crash-test-executor',
  ADMIN_TOKEN,
  STEP_RETRY_BASE_MS: '10',
  // Every restart here recovers the sagas in flight: far more recoveries than a crash loop
  // (test/fleet/crash-loop.test.ts), which would otherwise quarantine them.
  MAX_RECOVERY_ATTEMPTS: '1000',
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

async function sagaStatus(sagaId: string): Promise<string | undefined> {
  const { rows } = await db.pool.query<{ type: string }>(
    `SELECT type FROM events WHERE stream_id = $1 AND type IN ('SagaCompleted', 'SagaCompensated') LIMIT 1`,
    [`saga-${sagaId}`],
  );
  return rows[0]?.type;
}

beforeAll(async () => {
  db = await createTestDatabase('crash');
  port = await freePort();
});
afterAll(async () => {
  await server?.kill();
  await db.drop();
});

test('every saga survives SIGKILL at every step and compensation, with nothing done twice', async () => {
  server = await startServer(env(), 'crash-setup');
  expect((await post(`/inventory/${SKU}/stock`, { quantity: INITIAL_STOCK })).status).toBe(200);
  await server.kill();

  for (const [i, scenario] of scenarios.entries()) {
    const key = `crash-${i}`;
    const body = orderBody({
      items: [{ sku: SKU, quantity: 1 + (i % 3), unitPrice: 100 }],
      ...(scenario.compensates ? { shippingAddress: { ...orderBody().shippingAddress, country: 'XX' } } : {}),
    });
    // Recovering earlier sagas may hit this round's crash point before the new
    // order is even placed: keep restarting until this round's order is in.
    for (let start = 0; ; start++) {
      expect(start).toBeLessThan(placed.length + 3);
      server = await startServer(env({ SAGA_CRASH_POINT: scenario.crash }), `crash-${i}`);
      const res = await post('/orders', body, { 'idempotency-key': key }).catch(() => undefined);
      if (res?.status === 202) {
        if (!placed.some((p) => p.sagaId === key)) placed.push({ sagaId: key, orderId: res.body.orderId, compensates: scenario.compensates });
        break;
      }
      await server.exited;
    }
    // The crash point must really be reached: the process kills itself.
    const exit = await Promise.race([server.exited, new Promise((r) => setTimeout(() => r('still running'), 20_000))]);
    expect([scenario.crash, exit]).toEqual([scenario.crash, 'SIGKILL']);
  }

  // One more kill from outside, at a moment nobody chose, with sagas in flight.
  server = await startServer(env({ SAGA_STEP_DELAY_MS: '100' }), 'crash-external');
  for (let k = 0; k < 4; k++) {
    const res = await post('/orders', orderBody({ items: [{ sku: SKU, quantity: 1, unitPrice: 100 }] }), { 'idempotency-key': `ext-${k}` });
    placed.push({ sagaId: `ext-${k}`, orderId: res.body.orderId, compensates: false });
  }
  await new Promise((r) => setTimeout(r, 350));
  expect(await server.kill()).toBe('SIGKILL');

  // Restart without crash points: everything must converge.
  server = await startServer(env(), 'crash-final');
  const deadline = Date.now() + 60_000;
  for (const p of placed) {
    while (!(await sagaStatus(p.sagaId))) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect([p.sagaId, await sagaStatus(p.sagaId)]).toEqual([p.sagaId, p.compensates ? 'SagaCompensated' : 'SagaCompleted']);
  }

  // No event duplicated: each step and each undo succeeded exactly once per saga ...
  const { rows: sagaDupes } = await db.pool.query(
    `SELECT stream_id, type, coalesce(data->>'compensation', data->>'step') AS what, count(*) FROM events
      WHERE stream_type = 'saga' AND type IN ('SagaStarted', 'StepSucceeded', 'StepFailed', 'CompensationRegistered',
            'CompensationSucceeded', 'SagaCompensating', 'SagaCompleted', 'SagaCompensated')
      GROUP BY 1, 2, 3 HAVING count(*) > 1`,
  );
  expect(sagaDupes).toEqual([]);
  // ... and no domain fact was recorded twice.
  const { rows: domainDupes } = await db.pool.query(
    `SELECT stream_id, type, data, count(*) FROM events WHERE stream_type <> 'saga'
      GROUP BY 1, 2, 3 HAVING count(*) > 1 AND type <> 'StockAdded'`,
  );
  expect(domainDupes).toEqual([]);

  // Stock is conserved: what left equals what completed orders bought; nothing stays reserved.
  const stock = (await fetch(`http://127.0.0.1:${port}/aggregates/inventory/${SKU}`, { headers: credential(true) }).then((r) => r.json())) as { state: unknown };
  const { rows: sold } = await db.pool.query<{ quantity: number }>(
    `SELECT coalesce(sum((data->>'quantity')::int), 0)::int AS quantity FROM events WHERE stream_id = $1 AND type = 'ReservationCommitted'`,
    [`inventory-${SKU}`],
  );
  const completedQuantity = (
    await Promise.all(
      placed.filter((p) => !p.compensates).map(async (p) => {
        const order = (await fetch(`http://127.0.0.1:${port}/aggregates/order/${p.orderId}`, { headers: credential(true) }).then((r) => r.json())) as { state: { items: { quantity: number }[] } };
        return order.state.items.reduce((s: number, l: { quantity: number }) => s + l.quantity, 0) as number;
      }),
    )
  ).reduce((a, b) => a + b, 0);
  expect(stock.state).toEqual({ onHand: INITIAL_STOCK - completedQuantity, reserved: 0, available: INITIAL_STOCK - completedQuantity });
  expect(sold[0].quantity).toBe(completedQuantity);

  // Money: one capture per completed order; none for a compensated one, whose authorization is voided.
  const payments = await paymentLedger(db.pool);
  const bookings = await carrierLedger(db.pool);
  for (const p of placed) {
    const ledger = payments[p.orderId];
    if (p.compensates) {
      expect([p.sagaId, ledger?.captures.count ?? 0, ledger?.openAuthorizations ?? 0]).toEqual([p.sagaId, 0, 0]);
      expect([p.sagaId, ledger?.authorizations.count]).toEqual([p.sagaId, ledger?.voids.count]);
    } else {
      expect([p.sagaId, ledger.authorizations.count, ledger.captures.count, ledger.voids.count]).toEqual([p.sagaId, 1, 1, 0]);
      expect([p.sagaId, bookings[p.orderId]?.bookings]).toEqual([p.sagaId, 1]);
    }
  }
}, 240_000);

/**
 * The process dies after the payment gateway authorized but before DBOS
 * checkpointed the answer; an operator cancels the saga while it is down. The
 * replay must not let the cancel hide the authorization the dead run made: it
 * calls again (the gateway answers from its books, by the idempotency key),
 * records the authorization, and the compensation voids it.
 */
test('a cancel recorded while the process is down, after a call it made, still gets that call’s effect undone', async () => {
  await server?.kill();
  server = await startServer(env({ SAGA_CRASH_POINT: 'after-call:authorizePayment' }), 'cancel-down-1');
  const sagaId = 'cancel-while-down';
  const placedOrder = await post('/orders', orderBody({ items: [{ sku: SKU, quantity: 2, unitPrice: 500 }] }), { 'idempotency-key': sagaId });
  expect(placedOrder.status).toBe(202);
  expect(await server.exited).toBe('SIGKILL');
  const { orderId } = placedOrder.body;
  expect((await paymentLedgerOf(db.pool, orderId)).authorizations.count).toBe(1);

  // The operator's cancel, as the API records it, while no process runs the saga.
  const store = new EventStore(db.pool, createRegistry());
  await store.append(sagaStreamId(sagaId), [OperatorActionRequested({ action: 'cancel', actor: 'ops', reason: 'customer called' })]);

  server = await startServer(env(), 'cancel-down-2');
  expect(await until('the saga ends', () => sagaEnd(db.pool, sagaId), 30_000)).toBe('COMPENSATED');
  const payment = await paymentLedgerOf(db.pool, orderId);
  expect([payment.authorizations.count, payment.voids.count, payment.captures.count, payment.openAuthorizations]).toEqual([1, 1, 0, 0]);
  expect((await carrierLedgerOf(db.pool, orderId)).bookings).toBe(0);
});
