import { waitForEnds } from '../../scripts/invariants';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { api, expectInvariants, fleetRow, placeOrders, runningOn, startMember, until, type Member } from './support';

/**
 * A process that is only slow, and a process that is asked to leave.
 */
const SKU = 'sku-life';
const STOCK = 300;
let db: TestDatabase;
const members: Member[] = [];

beforeEach(async () => {
  db = await createTestDatabase('fleet_life');
});
afterEach(async () => {
  await Promise.all(members.splice(0).map((m) => (m.server.child.signalCode === 'SIGSTOP' ? undefined : m.server.kill())));
  await db.drop();
});

async function fleetOf(names: string[], env: Record<string, string> = {}): Promise<Member[]> {
  const started = await Promise.all(names.map((name) => startMember(db.url, name, env)));
  members.push(...started);
  expect((await api(started[0], 'POST', `/inventory/${SKU}/stock`, { quantity: STOCK })).status).toBe(200);
  return started;
}

test('a lease that expires while its owner is only paused (SIGSTOP): its sagas are taken over, its late steps commit nothing, and it exits', async () => {
  const [a, slow] = await fleetOf(['alive', 'paused']);
  const placed = await placeOrders([a, slow], SKU, 12, 'paused');
  await until('the slow process to run sagas', async () => (await runningOn(db.pool, slow.executorId)) > 0, 20_000);
  slow.server.child.kill('SIGSTOP');

  const row = await until('the paused process to be taken over', async () => {
    const r = await fleetRow(db.pool, slow.executorId);
    return r?.status === 'taken_over' && r;
  }, 15_000);
  expect(row.taken_over_by).toBe(a.executorId);
  await waitForEnds(db.pool, placed, 30_000);

  // Back from the pause: whatever it was doing cannot commit (DBOS's owner check is in the
  // step's own transaction), and its next heartbeat finds the lease gone: it stops and exits.
  slow.server.child.kill('SIGCONT');
  const exit = await Promise.race([slow.server.exited, new Promise((r) => setTimeout(() => r('still running'), 15_000))]);
  expect(exit).toBe('3');
  await expectInvariants(db.pool, placed, { [SKU]: STOCK });
}, 120_000);

test('a rolling redeploy: SIGTERM drains (steps finish within the grace period), the lease is released, and the new process takes the rest over at once', async () => {
  // Slow steps, and orders above the approval threshold that wait for an operator: these cannot finish in the grace period.
  const env = { SAGA_STEP_DELAY_MS: '300', APPROVAL_THRESHOLD: '150' };
  const [leaving] = await fleetOf(['leaving'], env);
  const placed = await placeOrders([leaving], SKU, 6, 'drain');
  await until('the leaving process to run sagas', async () => (await runningOn(db.pool, leaving.executorId)) > 1, 20_000);
  // The next version of the process comes up beside it (a rolling redeploy), then the old one is told to go.
  const staying = await startMember(db.url, 'staying', env);
  members.push(staying);

  leaving.server.child.kill('SIGTERM');
  expect(await leaving.server.exited).toBe('143');
  const exitedAt = Date.now();
  // Released, not expired: taken over within a heartbeat (a quarter of the 2 s lease), not a whole lease.
  const row = await until('the released lease to be taken over', async () => {
    const r = await fleetRow(db.pool, leaving.executorId);
    return r?.status === 'taken_over' && r;
  }, 10_000);
  expect(row.taken_over_by).toBe(staying.executorId);
  expect(Date.now() - exitedAt).toBeLessThan(2_000);

  // The sagas waiting for approval moved too: approve them on the process that stayed.
  for (const p of placed) {
    const waiting = await until(`saga ${p.sagaId} to wait or end`, async () => {
      const s = (await api(staying, 'GET', `/sagas/${p.sagaId}`)).body;
      return ['AWAITING_APPROVAL', 'COMPLETED', 'COMPENSATED'].includes(s.status) && s;
    }, 20_000);
    if (waiting.status === 'AWAITING_APPROVAL') expect((await api(staying, 'POST', `/sagas/${p.sagaId}/approve`, { actor: 'ops' })).status).toBe(202);
  }
  await waitForEnds(db.pool, placed, 30_000);
  await expectInvariants(db.pool, placed, { [SKU]: STOCK });
  expect(await runningOn(db.pool, leaving.executorId)).toBe(0);
}, 120_000);
