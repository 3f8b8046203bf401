/**
 * `npm run demo:crash`: watch sagas survive kill -9.
 *
 * Starts the server as a child process with a delay in every step, places a
 * few orders (some that complete, one with a declined card, one the carrier
 * refuses), kills the server with SIGKILL while they are in flight, starts it
 * again, and prints what happened and the checks that prove nothing was done
 * twice or lost.
 */
import pg from 'pg';
import { demoDatabase } from './demo-database';
import { checkInvariants } from './invariants';
import { freePort, startServer, type ServerProcess } from './server-process';

const TOKEN = 'demo-token';
const SKU = 'demo-widget';
const STOCK = 50;

const orders = [
  { label: 'ok #1', token: 'tok_visa', country: 'DE', quantity: 2 },
  { label: 'ok #2', token: 'tok_visa', country: 'FR', quantity: 1 },
  { label: 'ok #3 (flaky card)', token: 'tok_flaky', country: 'NL', quantity: 3 },
  { label: 'declined card', token: 'tok_declined', country: 'DE', quantity: 1 },
  { label: 'carrier refuses XX', token: 'tok_visa', country: 'XX', quantity: 2 },
];

async function main(): Promise<void> {
  const database = await demoDatabase('crash_demo');
  const url = database.url;
  const port = await freePort();
  const env = { DATABASE_URL: url, PORT: String(port), DBOS_EXECUTOR_ID: 'crash-demo', ADMIN_TOKEN: TOKEN };
  const api = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`http://127.0.0.1:${port}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then((r) => r.json() as Promise<any>);

  let server: ServerProcess = await startServer({ ...env, SAGA_STEP_DELAY_MS: '400' }, 'demo-crash');
  console.log(`Server up (pid ${server.child.pid}); each saga step takes ≥ 400 ms.`);
  await api(`/inventory/${SKU}/stock`, { quantity: STOCK });
  const placed = [];
  for (const [i, o] of orders.entries()) {
    const res = await api('/orders', {
      customerId: `demo-customer-${i}`,
      currency: 'EUR',
      items: [{ sku: SKU, quantity: o.quantity, unitPrice: 250 }],
      payment: { token: o.token },
      shippingAddress: { name: 'Demo', line1: '1 Demo St', city: 'Demo', postalCode: '1000', country: o.country },
    }, { 'idempotency-key': `demo-${Date.now()}-${i}` });
    placed.push({ ...o, sagaId: res.sagaId as string, orderId: res.orderId as string });
  }
  await new Promise((r) => setTimeout(r, 1500));
  console.log('\nJust before the kill:');
  for (const p of placed) console.log(`  ${p.label.padEnd(20)} ${await summary(api, p.sagaId)}`);
  await server.kill();
  console.log(`\nkill -9 ${server.child.pid} — the server is gone mid-saga. Restarting with the same executor id…`);

  const restartedAt = Date.now();
  server = await startServer(env, 'demo-crash');
  for (const p of placed) {
    for (;;) {
      const s = await api(`/sagas/${p.sagaId}`);
      if (s.status === 'COMPLETED' || s.status === 'COMPENSATED') break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  console.log(`All sagas finished ${Date.now() - restartedAt} ms after the restart:\n`);
  for (const p of placed) console.log(`  ${p.label.padEnd(20)} ${await summary(api, p.sagaId)}`);

  const db = new pg.Pool({ connectionString: url });
  const checks = await checkInvariants(
    db,
    placed.map((p) => ({ sagaId: p.sagaId, orderId: p.orderId, sku: SKU, quantity: p.quantity, compensates: !expectCompleted(p) })),
    { [SKU]: STOCK },
  );
  console.log('\nChecks:');
  for (const [name, ok, detail] of checks) console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${name}${ok ? '' : ` ${JSON.stringify(detail)}`}`);
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
  console.log(`\n${rows[0].n} events in the store. Inspect one saga: GET http://127.0.0.1:${port}/sagas/${placed[0].sagaId}`);
  await db.end();
  await server.kill();
  await database.stop();
  process.exit(checks.every(([, ok]) => ok) ? 0 : 1);
}

async function summary(api: (p: string) => Promise<any>, sagaId: string): Promise<string> {
  const s = await api(`/sagas/${sagaId}`);
  const done = (s.steps ?? []).filter((x: any) => x.status === 'succeeded').map((x: any) => x.name);
  // Undos run in reverse registration order.
  const undone = (s.compensations ?? []).filter((c: any) => c.status === 'succeeded').map((c: any) => c.name).reverse();
  return `${String(s.status).padEnd(12)} done: ${done.join(', ') || '-'}${undone.length ? ` | undone: ${undone.join(', ')}` : ''}`;
}

const expectCompleted = (p: { token: string; country: string }) => p.token !== 'tok_declined' && p.country !== 'XX';

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
