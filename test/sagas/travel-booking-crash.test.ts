import { sagaEnd } from '../../scripts/invariants';
import { freePort, startServer, type ServerProcess } from '../../scripts/server-process';
import { paymentLedgerOf, travelLedgerOf, TravelScenarios } from '../../src/providers';
import { ADMIN_TOKEN, CLIENT_TOKEN, credential } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { car, reservationsArrived, slowTravelBody } from '../support/travel';
import { until } from '../support/until';

/**
 * SIGKILL the real server while a travel booking's three reservations are in
 * flight (the simulator's slow places answer after seconds), start it again,
 * and check the supplier's and the gateway's own books: a booking completes
 * with each reservation made once and the traveller charged once; a booking
 * whose car was sold out ends with the flight and the hotel released, once,
 * and nothing charged.
 */
let db: TestDatabase;
let port: number;
let server: ServerProcess | undefined;

const env = () => ({
  DATABASE_URL: db.url,
  PORT: String(port),
  DBOS_EXECUTOR_ID: 'travel-crash-executor',
  ADMIN_TOKEN,
  CLIENT_TOKEN,
  STEP_RETRY_BASE_MS: '10',
  MAX_RECOVERY_ATTEMPTS: '1000',
});
const boot = () => startServer(env(), 'travel-crash');

beforeAll(async () => {
  db = await createTestDatabase('travel_crash');
  port = await freePort();
});
afterAll(async () => {
  await server?.kill();
  await db.drop();
});

async function book(sagaId: string, body: unknown): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/sagas/travel-booking`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': sagaId, ...credential('client') },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { businessKey: string }).businessKey;
}

/** How the saga ended, once it has (from its stream: the server may be down). */
const ended = (sagaId: string) => until(`saga ${sagaId} to end`, () => sagaEnd(db.pool, sagaId), 90_000);

test('SIGKILL with the three reservations in flight: after the restart the trip is booked, each reservation made once, charged once', async () => {
  server = await boot();
  const tripId = await book('travel-crash-ok', slowTravelBody());
  await until('the three reservations to reach the supplier', async () => (await reservationsArrived(db.pool, tripId)) === 3, 30_000);
  await server.kill();
  server = await boot();
  expect(await ended('travel-crash-ok')).toBe('COMPLETED');
  expect(await travelLedgerOf(db.pool, tripId)).toEqual({
    tripId,
    reserved: { flight: 1, hotel: 1, car: 1 },
    cancelled: { flight: 0, hotel: 0, car: 0 },
    itineraries: 1,
  });
  expect(await paymentLedgerOf(db.pool, tripId)).toMatchObject({ authorizations: { count: 1 }, captures: { count: 1 }, openAuthorizations: 0 });
});

test('SIGKILL while the flight and the hotel are in flight and the car was refused: after the restart both are reserved and released, once, and nothing is charged', async () => {
  const tripId = await book('travel-crash-refused', slowTravelBody({ car: car(TravelScenarios.SOLD_OUT) }));
  await until('the three reservations to reach the supplier', async () => (await reservationsArrived(db.pool, tripId)) === 3, 30_000);
  await server!.kill();
  server = await boot();
  expect(await ended('travel-crash-refused')).toBe('COMPENSATED');
  // The supplier ran in the killed process, so the two reservations died unmade; after the
  // restart each branch makes its call again (only the call can tell what the run before did),
  // and what it reserves is released, once.
  expect(await travelLedgerOf(db.pool, tripId)).toEqual({
    tripId,
    reserved: { flight: 1, hotel: 1, car: 0 },
    cancelled: { flight: 1, hotel: 1, car: 0 },
    itineraries: 0,
  });
  expect(await paymentLedgerOf(db.pool, tripId)).toMatchObject({ authorizations: { count: 0 }, captures: { count: 0 } });
});
