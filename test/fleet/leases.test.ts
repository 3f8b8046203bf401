import { claimExpired, registerIncarnation, renewLease, setStatus, type Incarnation } from '../../src/fleet/leases';
import { createTestDatabase, type TestDatabase } from '../support/db';

/** The lease table's rules, against real PostgreSQL with concurrent claimers. */
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('fleet_leases');
});
afterAll(() => db.drop());

const member = (executorId: string, version = 'v1'): Incarnation => ({
  executorId,
  incarnation: crypto.randomUUID(),
  applicationVersion: version,
  role: 'orchestrator',
  host: 'test',
  pid: 1,
});

test('an expired lease is claimed by exactly one of many processes noticing it at once', async () => {
  const dead = member('dead-1');
  await registerIncarnation(db.pool, dead, 1);
  await new Promise((r) => setTimeout(r, 20));
  const claims = await Promise.all(Array.from({ length: 12 }, (_, i) => claimExpired(db.pool, `claimer-${i}`, 'v1')));
  expect(claims.flat()).toEqual(['dead-1']);
  // The dead process, should it come back, finds its lease gone.
  expect(await renewLease(db.pool, dead, 10_000)).toBe(false);
});

test('a live lease is never claimed; a released one is, at once; another version\'s is left to its own version', async () => {
  const live = member('live-1');
  const leaving = member('leaving-1');
  const old = member('old-1', 'v0');
  for (const m of [live, leaving, old]) await registerIncarnation(db.pool, m, m === old ? 1 : 60_000);
  await setStatus(db.pool, leaving, 'released');
  await new Promise((r) => setTimeout(r, 20));
  expect(await claimExpired(db.pool, 'claimer', 'v1')).toEqual(['leaving-1']);
  expect(await renewLease(db.pool, live, 60_000)).toBe(true);
  expect(await claimExpired(db.pool, 'claimer', 'v0')).toEqual(['old-1']);
});

test('a restart under the same executor id is a new incarnation: the old one loses its lease', async () => {
  const first = member('same-id');
  await registerIncarnation(db.pool, first, 60_000);
  const second = { ...first, incarnation: crypto.randomUUID() };
  await registerIncarnation(db.pool, second, 60_000);
  expect(await renewLease(db.pool, first, 60_000)).toBe(false);
  expect(await renewLease(db.pool, second, 60_000)).toBe(true);
});
