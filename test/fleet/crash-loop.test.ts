import { waitForEnds } from '../../scripts/invariants';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { api, expectInvariants, placeOrders, startMember, until, type Member } from './support';

/**
 * A poisoned saga, one that kills every process that runs it, is not passed
 * around the fleet forever: after MAX_RECOVERY_ATTEMPTS recoveries DBOS stops
 * running it and the fleet parks it as QUARANTINED, visibly, until an
 * operator (having fixed the cause) retries it.
 */
const SKU = 'sku-poison';
let db: TestDatabase;
const members: Member[] = [];
const POISON = { SAGA_CRASH_POINT: 'before-effect:bookShipment', MAX_RECOVERY_ATTEMPTS: '2', FLEET_LEASE_MS: '1500' };

beforeAll(async () => {
  db = await createTestDatabase('fleet_poison');
});
afterAll(async () => {
  await Promise.all(members.map((m) => m.server.kill()));
  await db.drop();
});

const dead = (m: Member) => m.server.child.exitCode !== null || m.server.child.signalCode !== null;

test('a saga that crashes every process that runs it is quarantined after a bounded number of recoveries; a retry resumes it', async () => {
  members.push(...(await Promise.all(['p1', 'p2'].map((name) => startMember(db.url, name, POISON)))));
  expect((await api(members[0], 'POST', `/inventory/${SKU}/stock`, { quantity: 10 })).status).toBe(200);
  const [order] = await placeOrders(members, SKU, 1, 'poison');

  // A supervisor: keep two processes up, replacing each one the saga kills.
  let crashes = 0;
  const quarantined = await until('the saga to be quarantined', async () => {
    for (const [i, m] of members.entries()) {
      if (!dead(m)) continue;
      crashes++;
      members[i] = await startMember(db.url, `p${members.length + crashes}`, POISON);
    }
    const live = members.find((m) => !dead(m));
    if (!live) return false; // all replaced this round: ask next round
    const saga = (await api(live, 'GET', `/sagas/${order.sagaId}`).catch(() => ({ body: undefined }))).body;
    return saga?.status === 'QUARANTINED' && saga;
  }, 90_000);
  // Three runs (the first and two recoveries), each ended by a crash; then DBOS stopped running it.
  expect(crashes).toBe(3);
  expect(quarantined).toMatchObject({ quarantine: { recoveryAttempts: 4, reason: expect.stringContaining('crashed') } });
  expect(quarantined.workflow.status).toBe('MAX_RECOVERY_ATTEMPTS_EXCEEDED');
  // And nobody runs it any more: the processes stay up. The positive signal that enough time went
  // by: every process renewed its lease for two full lease lengths after the quarantine (a recovery
  // that ran the saga would have killed it long before).
  const since = new Date();
  await until('every process to renew its lease for two lease lengths', async () => {
    const { rows } = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM fleet_executors WHERE executor_id = ANY($1) AND status = 'live' AND heartbeat_at > $2::timestamptz + interval '3 seconds'`,
      [members.map((m) => m.executorId), since],
    );
    return rows[0].n === members.length;
  }, 30_000);
  expect(members.filter(dead)).toEqual([]);

  // The cause is fixed (a build without the crash), and an operator retries it.
  await Promise.all(members.splice(0).map((m) => m.server.kill()));
  const fixed = await startMember(db.url, 'fixed', { FLEET_LEASE_MS: '1500' });
  members.push(fixed);
  expect((await api(fixed, 'POST', `/sagas/${order.sagaId}/retry`, { actor: 'ops', reason: 'crash fixed' })).status).toBe(202);
  await waitForEnds(db.pool, [order], 30_000);
  await expectInvariants(db.pool, [order], { [SKU]: 10 });
}, 180_000);
