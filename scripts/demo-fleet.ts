/**
 * `npm run demo:fleet`: three processes, one orchestrator, one dies for good.
 *
 * Starts three server processes on one database (the embedded PostgreSQL when
 * no DATABASE_URL is set), places orders through all three, SIGKILLs one of
 * them while it runs sagas and never restarts it, then prints who took its
 * sagas over, how long that took, how they ended, and the same checks as the
 * crash demo, read from the providers' own books.
 */
import pg from 'pg';
import { demoDatabase } from './demo-database';
import { checkInvariants, sagaEnd, waitForEnds, type PlacedOrder } from './invariants';
import { freePort, startServer, type ServerProcess } from './server-process';

const TOKEN = 'demo-token';
const SKU = 'fleet-widget';
const STOCK = 100;
const LEASE_MS = 3000;

async function main(): Promise<void> {
  const database = await demoDatabase('fleet_demo');
  const url = database.url;
  const db = new pg.Pool({ connectionString: url, max: 4 });

  const names = ['alpha', 'bravo', 'charlie'];
  const processes: { name: string; executorId: string; port: number; server: ServerProcess }[] = [];
  for (const name of names) {
    const port = await freePort();
    const executorId = `${name}-${port}`;
    const env = {
      DATABASE_URL: url,
      PORT: String(port),
      DBOS_EXECUTOR_ID: executorId,
      ADMIN_TOKEN: TOKEN,
      FLEET_LEASE_MS: String(LEASE_MS),
      SAGA_STEP_DELAY_MS: '250',
      SAGA_QUEUE_POLL_MS: '50',
      SAGA_WORKER_CONCURRENCY: '6',
    };
    processes.push({ name, executorId, port, server: await startServer(env, `demo-fleet-${name}`) });
    console.log(`${name.padEnd(8)} up: pid ${processes.at(-1)!.server.child.pid}, port ${port}, executor ${executorId}`);
  }
  const api = (port: number, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`http://127.0.0.1:${port}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then((r) => r.json() as Promise<any>);

  await api(processes[0].port, `/inventory/${SKU}/stock`, { quantity: STOCK });
  const placed: PlacedOrder[] = [];
  for (let i = 0; i < 15; i++) {
    const declined = i % 5 === 4;
    const via = processes[i % processes.length];
    const res = await api(via.port, '/orders', {
      customerId: `fleet-customer-${i}`,
      currency: 'EUR',
      items: [{ sku: SKU, quantity: 1 + (i % 2), unitPrice: 200 }],
      payment: { token: declined ? 'tok_declined' : 'tok_visa' },
      shippingAddress: { name: 'Demo', line1: '1 Demo St', city: 'Demo', postalCode: '1000', country: 'DE' },
    }, { 'idempotency-key': `fleet-demo-${Date.now()}-${i}` });
    placed.push({ sagaId: res.sagaId, orderId: res.orderId, sku: SKU, quantity: 1 + (i % 2), compensates: declined });
  }
  console.log(`\n${placed.length} orders placed, five through each process; sagas go through a DBOS queue any process takes work from.`);

  const victim = processes[1];
  const running = async () =>
    (await db.query<{ id: string }>(`SELECT workflow_uuid AS id FROM dbos.workflow_status WHERE executor_id = $1 AND status = 'PENDING'`, [victim.executorId])).rows.map((r) => r.id);
  let inFlight: string[] = [];
  for (const end = Date.now() + 20_000; inFlight.length === 0 && Date.now() < end; ) {
    inFlight = await running();
    if (!inFlight.length) await new Promise((r) => setTimeout(r, 50));
  }
  await victim.server.kill();
  const killedAt = Date.now();
  console.log(`\nkill -9 ${victim.name} (pid ${victim.server.child.pid}) with ${inFlight.length} sagas in flight. It is never restarted.`);

  const took = await waitForEnds(db, placed, 60_000);
  const { rows } = await db.query('SELECT taken_over_by, taken_over_at, workflows_recovered FROM fleet_executors WHERE executor_id = $1', [victim.executorId]);
  const takeover = rows[0];
  console.log(`Its lease (${LEASE_MS / 1000} s) expired; ${takeover?.taken_over_by ?? 'nobody'} took it over ${takeover ? new Date(takeover.taken_over_at).getTime() - killedAt : '?'} ms after the kill and recovered ${takeover?.workflows_recovered ?? 0} sagas.`);
  console.log(`All sagas ended ${took} ms after the kill. The ones ${victim.name} was running:\n`);
  const where = await db.query<{ id: string; executor_id: string }>('SELECT workflow_uuid AS id, executor_id FROM dbos.workflow_status WHERE workflow_uuid = ANY($1)', [inFlight]);
  for (const { id, executor_id } of where.rows) console.log(`  ${id}  ${(await sagaEnd(db, id))?.padEnd(12)} finished on ${executor_id}`);

  const checks = await checkInvariants(db, placed, { [SKU]: STOCK });
  console.log('\nChecks:');
  for (const [name, ok, detail] of checks) console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${name}${ok ? '' : ` ${JSON.stringify(detail)}`}`);
  console.log(`\nThe fleet as the survivors see it: GET http://127.0.0.1:${processes[0].port}/fleet (console: /console/#/fleet)`);

  await Promise.all(processes.map((p) => p.server.kill()));
  await db.end();
  await database.stop();
  process.exit(checks.every(([, ok]) => ok) ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
