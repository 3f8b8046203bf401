import { waitForEnds } from '../../scripts/invariants';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { api, expectInvariants, fleetRow, placeOrders, runningOn, startMember, until, type Member } from './support';

/**
 * Several real server processes on one database. Sagas are dispatched through
 * a DBOS queue, so every process runs some; a process that dies is taken over
 * once its lease (2 s here) expires, by exactly one of the others, through
 * DBOS's own recovery. Checked against the providers' books and the stock,
 * not only our events.
 */
let db: TestDatabase;
const members: Member[] = [];
const SKU = 'sku-fleet';
const STOCK = 500;

beforeAll(async () => {
  db = await createTestDatabase('fleet');
});
afterAll(async () => {
  await Promise.all(members.map((m) => m.server.kill()));
  await db.drop();
});

test('three processes, one SIGKILLed for good: its sagas finish on the others, each exactly once', async () => {
  // The victim's steps are slower, so it is still in the middle of sagas when it dies.
  members.push(...(await Promise.all(['a', 'b', 'c'].map((name) => startMember(db.url, name, name === 'c' ? { SAGA_STEP_DELAY_MS: '400' } : {})))));
  const [a, b, victim] = members;
  expect((await api(a, 'POST', `/inventory/${SKU}/stock`, { quantity: STOCK })).status).toBe(200);

  const placed = await placeOrders(members, SKU, 24, 'takeover');
  // The victim must be in the middle of some of them.
  await until('the victim to run sagas', async () => (await runningOn(db.pool, victim.executorId)) > 1, 20_000);
  const inFlight = await runningOn(db.pool, victim.executorId);
  expect(await victim.server.kill()).toBe('SIGKILL');
  const killedAt = Date.now();

  // Within the lease, a takeover round and the queue's poll: 2 s + 0.5 s + 0.05 s; the bound leaves room for the sagas' own steps.
  const row = await until('the victim to be taken over', async () => {
    const r = await fleetRow(db.pool, victim.executorId);
    // The claim commits first, the count of sagas it recovered right after.
    return r?.status === 'taken_over' && r.workflows_recovered > 0 && r;
  }, 15_000);
  expect([a.executorId, b.executorId]).toContain(row.taken_over_by);
  expect(inFlight).toBeGreaterThan(1);
  expect(row.workflows_recovered).toBeGreaterThanOrEqual(1);
  await waitForEnds(db.pool, placed, 30_000);
  const tookMs = Date.now() - killedAt;
  expect(tookMs).toBeLessThan(30_000);
  expect(await runningOn(db.pool, victim.executorId)).toBe(0);

  // The survivors are the same processes, alive, and GET /fleet tells the story.
  for (const m of [a, b]) expect(m.server.child.exitCode).toBeNull();
  const fleet = (await api(a, 'GET', '/fleet')).body;
  expect(fleet.executors.find((e: { executorId: string }) => e.executorId === victim.executorId)).toMatchObject({
    status: 'taken_over',
    takenOverBy: row.taken_over_by,
  });
  const metrics = await (await fetch(`http://127.0.0.1:${a.port}/metrics`)).text();
  expect(metrics).toMatch(/fleet_processes\{status="live"\} 2/);

  await expectInvariants(db.pool, placed, { [SKU]: STOCK });
  // Work really spread: every process ran sagas.
  const { rows } = await db.pool.query<{ executor_id: string }>(
    `SELECT DISTINCT executor_id FROM dbos.workflow_status WHERE name = 'saga.order-fulfillment' AND workflow_uuid LIKE 'takeover-%'`,
  );
  expect(rows.map((r) => r.executor_id).sort()).toEqual(expect.arrayContaining([a.executorId, b.executorId]));
}, 120_000);
