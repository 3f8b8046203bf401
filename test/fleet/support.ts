import pg from 'pg';
import { checkInvariants, type PlacedOrder } from '../../scripts/invariants';
import { freePort, startServer, type ServerProcess } from '../../scripts/server-process';
import { ADMIN_TOKEN, orderBody } from '../support/app';

export { until } from '../support/until';

/** A server process of a fleet under test: the real `src/main.ts`, killable with real signals. */
export interface Member {
  name: string;
  executorId: string;
  port: number;
  server: ServerProcess;
}

/** Short leases, quick polls and a little delay in each step, so sagas are caught in flight. */
export const FLEET_ENV = {
  ADMIN_TOKEN,
  FLEET_LEASE_MS: '2000',
  SAGA_QUEUE_POLL_MS: '50',
  SAGA_STEP_DELAY_MS: '100',
  SAGA_WORKER_CONCURRENCY: '8',
  STEP_RETRY_BASE_MS: '20',
  SHUTDOWN_GRACE_MS: '5000',
};

export async function startMember(databaseUrl: string, name: string, env: Record<string, string> = {}): Promise<Member> {
  const port = await freePort();
  const executorId = `${name}-${port}`;
  const server = await startServer({ ...FLEET_ENV, DATABASE_URL: databaseUrl, PORT: String(port), DBOS_EXECUTOR_ID: executorId, ...env }, `fleet-${name}`);
  return { name, executorId, port, server };
}

export async function api(member: Member, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`http://127.0.0.1:${member.port}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}`, ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/**
 * Orders through the members in turn: every fourth with a declined card and
 * every fifth to a country the carrier refuses (both compensate).
 */
export async function placeOrders(members: Member[], sku: string, count: number, label: string): Promise<PlacedOrder[]> {
  const placed: PlacedOrder[] = [];
  for (let i = 0; i < count; i++) {
    const declined = i % 4 === 3;
    const refused = i % 5 === 4;
    const quantity = 1 + (i % 2);
    const body = orderBody({
      items: [{ sku, quantity, unitPrice: 100 }],
      payment: { token: declined ? 'tok_declined' : 'tok_visa' },
      ...(refused ? { shippingAddress: { ...orderBody().shippingAddress, country: 'XX' } } : {}),
    });
    const res = await api(members[i % members.length], 'POST', '/orders', body, { 'idempotency-key': `${label}-${i}` });
    if (res.status !== 202) throw new Error(`order ${i} refused: ${res.status} ${JSON.stringify(res.body)}`);
    placed.push({ sagaId: res.body.sagaId, orderId: res.body.orderId, sku, quantity, compensates: declined || refused });
  }
  return placed;
}

/** Sagas running now (PENDING) on an executor. */
export async function runningOn(db: pg.Pool, executorId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM dbos.workflow_status WHERE executor_id = $1 AND status = 'PENDING' AND name LIKE 'saga.%'`,
    [executorId],
  );
  return rows[0].n;
}

/** Every invariant holds; a failure names the broken ones with their details. */
export async function expectInvariants(db: pg.Pool, placed: PlacedOrder[], initialStock: Record<string, number>): Promise<void> {
  const broken = (await checkInvariants(db, placed, initialStock)).filter(([, ok]) => !ok);
  expect(broken).toEqual([]);
}

export async function fleetRow(db: pg.Pool, executorId: string) {
  const { rows } = await db.query<{ status: string; taken_over_by: string | null; workflows_recovered: number }>(
    'SELECT status, taken_over_by, workflows_recovered FROM fleet_executors WHERE executor_id = $1',
    [executorId],
  );
  return rows[0];
}
