import { paymentLedgerOf } from '../../src/providers';
import { freePort, startServer, type ServerProcess } from '../../scripts/server-process';
import { ADMIN_TOKEN, credential, orderBody } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/db';

/**
 * The real server in a child process, SIGKILLed twice in the middle of a
 * return — once before the refund (the process manager may or may not have
 * started the saga yet), once right after it — and restarted each time with
 * the same executor id. The return must complete with exactly one refund and
 * the stock put back exactly once.
 */
const SKU = 'sku-return-crash';
const STOCK = 20;
let db: TestDatabase;
let port: number;
let server: ServerProcess | undefined;

const env = () => ({
  DATABASE_URL: db.url,
  PORT: String(port),
  DBOS_EXECUTOR_ID: 'return-crash-executor',
  ADMIN_TOKEN,
  // Every step waits this long before its effect: room to land a kill inside it.
  SAGA_STEP_DELAY_MS: '400',
  STEP_RETRY_BASE_MS: '10',
  APPROVAL_THRESHOLD: '1000000',
});

async function post(path: string, body: unknown) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** Poll the saga's stream (straight from the database: the server may be down). */
async function until(sagaId: string, done: (types: string[], steps: string[]) => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await db.pool.query<{ type: string; step: string | null }>(
      `SELECT type, data->>'step' AS step FROM events WHERE stream_id = $1 ORDER BY stream_position`,
      [`saga-${sagaId}`],
    );
    const steps = rows.filter((r) => r.type === 'StepSucceeded').map((r) => r.step!);
    if (done(rows.map((r) => r.type), steps)) return;
    if (Date.now() > end) throw new Error(`saga ${sagaId}: gave up waiting; it has ${rows.map((r) => r.type).join(', ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  db = await createTestDatabase('return_crash');
  port = await freePort();
});
afterAll(async () => {
  await server?.kill();
  await db.drop();
});

test('a return killed before and after its refund completes with one refund and the stock back once', async () => {
  server = await startServer(env(), 'return-crash-1');
  expect((await post(`/inventory/${SKU}/stock`, { quantity: STOCK })).status).toBe(200);
  const order = await post('/orders', orderBody({ items: [{ sku: SKU, quantity: 3, unitPrice: 250 }] }));
  expect(order.status).toBe(202);
  const orderId = order.body.orderId as string;
  await until(order.body.sagaId, (types) => types.includes('SagaCompleted'));

  const ret = await post(`/orders/${orderId}/return`, { reason: 'arrived broken' });
  expect(ret.status).toBe(202);
  const sagaId = ret.body.sagaId as string;
  // Kill 1: at once. The saga is at most inside its first step's delay: no money moved yet.
  expect(await server.kill()).toBe('SIGKILL');
  expect(await paymentLedgerOf(db.pool, orderId)).toMatchObject({ refunds: { count: 0 } });

  // Restart: the process manager resumes from its checkpoint (starting the saga
  // if the kill came first), DBOS recovers the saga if it had started.
  server = await startServer(env(), 'return-crash-2');
  await until(sagaId, (_, steps) => steps.includes('refundPayment'));
  // Kill 2: just past the pivot, inside restockItems' delay.
  expect(await server.kill()).toBe('SIGKILL');
  const { rows: restockedEarly } = await db.pool.query(`SELECT 1 FROM events WHERE stream_id = $1 AND type = 'StockRestocked'`, [`inventory-${SKU}`]);
  expect(restockedEarly).toHaveLength(0);

  server = await startServer(env(), 'return-crash-3');
  await until(sagaId, (types) => types.includes('SagaCompleted'));

  const { rows: steps } = await db.pool.query<{ step: string; n: number }>(
    `SELECT data->>'step' AS step, count(*)::int AS n FROM events WHERE stream_id = $1 AND type = 'StepSucceeded' GROUP BY 1 ORDER BY min(stream_position)`,
    [`saga-${sagaId}`],
  );
  expect(steps).toEqual(['acceptReturn', 'refundPayment', 'restockItems', 'completeReturn'].map((step) => ({ step, n: 1 })));
  expect(await paymentLedgerOf(db.pool, orderId)).toMatchObject({ captures: { count: 1, amount: 750 }, refunds: { count: 1, amount: 750 } });
  const { rows: restocked } = await db.pool.query(`SELECT data FROM events WHERE stream_id = $1 AND type = 'StockRestocked'`, [`inventory-${SKU}`]);
  expect(restocked.map((r) => r.data)).toEqual([{ orderId, quantity: 3 }]);
  const stock = (await fetch(`http://127.0.0.1:${port}/aggregates/inventory/${SKU}`, { headers: credential(true) }).then((r) => r.json())) as { state: unknown };
  expect(stock.state).toEqual({ onHand: STOCK, reserved: 0, available: STOCK });
  const orderState = (await fetch(`http://127.0.0.1:${port}/aggregates/order/${orderId}`, { headers: credential(true) }).then((r) => r.json())) as { state: { status: string } };
  expect(orderState.state.status).toBe('returned');
  // One return saga, recovered by DBOS rather than started again.
  const { rows: workflows } = await db.pool.query(
    `SELECT workflow_uuid, status, recovery_attempts FROM dbos.workflow_status WHERE name = 'saga.order-return'`,
  );
  expect(workflows).toEqual([expect.objectContaining({ workflow_uuid: sagaId, status: 'SUCCESS' })]);
}, 120_000);
