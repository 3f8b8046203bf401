import { waitForEnds } from '../../scripts/invariants';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { api, placeOrders, startMember, until, type Member } from './support';

/**
 * READ_SIDE=only: processes that keep the read models and the process
 * managers going and orchestrate nothing. With two of them, one applies each
 * projection at a time; when it dies, the other takes over within the lease,
 * and the process managers go on reacting (a return request still starts its
 * saga).
 */
const SKU = 'sku-read-side';
let db: TestDatabase;
const members: Member[] = [];

beforeAll(async () => {
  db = await createTestDatabase('fleet_read');
});
afterAll(async () => {
  await Promise.all(members.map((m) => m.server.kill()));
  await db.drop();
});

const summary = (m: Member, orderId: string) => api(m, 'GET', `/orders/${orderId}`).then((r) => (r.status === 200 ? r.body : undefined));

test('read-side processes run no saga; when the one applying the read models dies, the other takes over, process managers included', async () => {
  const [orchestrator, r1, r2] = await Promise.all([
    startMember(db.url, 'orchestrator', { READ_SIDE: 'off' }),
    startMember(db.url, 'reader-1', { READ_SIDE: 'only' }),
    startMember(db.url, 'reader-2', { READ_SIDE: 'only' }),
  ]);
  members.push(orchestrator, r1, r2);
  expect((await api(r1, 'POST', `/inventory/${SKU}/stock`, { quantity: 100 })).status).toBe(200);

  // Orders accepted by a read-side process are run by the orchestrator.
  const first = (await placeOrders([r1, r2], SKU, 3, 'read-1')).filter((p) => !p.compensates);
  await waitForEnds(db.pool, first, 30_000);
  for (const p of first) await until('the order summary', async () => (await summary(r2, p.orderId))?.status === 'confirmed', 15_000);

  // Kill, for good, the reader that holds the order-summary projection.
  const projections = (await api(r2, 'GET', '/projections')).body.projections as { name: string; lease: { owner: string | null } }[];
  const owner = projections.find((p) => p.name === 'order-summary')!.lease.owner;
  const [victim, survivor] = owner === r1.executorId ? [r1, r2] : [r2, r1];
  expect(owner).toBe(victim.executorId);
  await victim.server.kill();

  const later = (await placeOrders([survivor], SKU, 2, 'read-2')).filter((p) => !p.compensates);
  await waitForEnds(db.pool, later, 30_000);
  for (const p of later) await until('the survivor to project the new order', async () => (await summary(survivor, p.orderId))?.status === 'confirmed', 20_000);
  const after = (await api(survivor, 'GET', '/projections')).body.projections as { name: string; lease: { owner: string | null } }[];
  expect(after.find((p) => p.name === 'order-summary')!.lease.owner).toBe(survivor.executorId);

  // A return request: the process manager (now only on the survivor) starts the return saga.
  const ret = await api(survivor, 'POST', `/orders/${first[0].orderId}/return`, { reason: 'too big' });
  expect(ret.status).toBe(202);
  await until('the return to complete', async () => (await summary(survivor, first[0].orderId))?.status === 'returned', 30_000);

  // Neither reader ran a saga.
  const { rows } = await db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM dbos.workflow_status WHERE name LIKE 'saga.%' AND executor_id = ANY($1)`,
    [[r1.executorId, r2.executorId]],
  );
  expect(rows[0].n).toBe(0);
}, 120_000);
