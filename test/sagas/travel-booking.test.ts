import { randomUUID } from 'node:crypto';
import { paymentLedgerOf, setSwitch, travelLedgerOf, TravelScenarios } from '../../src/providers';
import type { SagaStatus } from '../../src/saga/state';
import { TravelBookingInput } from '../../src/sagas/travel-booking/input';
import { http, startTestApp, type TestApp } from '../support/app';
import { car, flight, hotel, travelBody } from '../support/travel';

/**
 * The travel saga end to end on the real engine, DBOS and Postgres, checked
 * against the supplier's and the gateway's own books, not only our events.
 */
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp('travel');
});
afterAll(() => app.close());
afterEach(() => setSwitch(app.db.pool, 'itinerary_outage', false));

/** Starts a booking as a client does: POST /sagas/travel-booking, the Idempotency-Key naming the saga. */
async function book(overrides: Record<string, unknown> = {}) {
  const sagaId = `trip-saga-${randomUUID()}`;
  const res = await http(app, 'POST', '/sagas/travel-booking', { body: travelBody(overrides), headers: { 'idempotency-key': sagaId } });
  expect(res.status).toBe(202);
  return sagaId;
}

/** Waits for the saga to end in `status`; the trip id is its business key. */
async function ended(sagaId: string, status: SagaStatus) {
  const view = await app.engine.waitFor(sagaId, [status]);
  return { view, tripId: view.businessKey };
}

/** The trip as GET /aggregates/trip/:id shows it. */
const trip = async (tripId: string) => (await http(app, 'GET', `/aggregates/trip/${tripId}`)).body.state;
const sagaEvents = async (sagaId: string) => app.store.readStream(`saga-${sagaId}`);
const none = { flight: 0, hotel: 0, car: 0 };
const BRANCHES = ['flight', 'hotel', 'car'];

test('the traveller\'s card is never stored in clear: the saga holds a vault reference, no table of ours or DBOS\'s holds the token', async () => {
  const sagaId = await book({ payment: { token: 'tok_visa' } });
  const { view } = await ended(sagaId, 'COMPLETED');
  expect(view.input.payment).toEqual({ cardRef: expect.stringMatching(/^card_/) });
  const { rows } = await app.db.pool.query<{ n: number }>(
    `SELECT (SELECT count(*) FROM events WHERE data::text LIKE '%tok_visa%')
          + (SELECT count(*) FROM saga_requests WHERE input::text LIKE '%tok_visa%')
          + (SELECT count(*) FROM dbos.workflow_status WHERE inputs LIKE '%tok_visa%')
          + (SELECT count(*) FROM dbos.operation_outputs WHERE output LIKE '%tok_visa%') AS n`,
  );
  expect(Number(rows[0].n)).toBe(0);
});

test('books: flight, hotel and car held at once, the traveller charged once, the itinerary issued', async () => {
  const sagaId = await book();
  const { view, tripId } = await ended(sagaId, 'COMPLETED');
  // The trip id was made when the engine parsed the input, and the stored input carries it.
  expect(view.input.tripId).toBe(tripId);
  expect(view.steps.map((s) => [s.name, s.group])).toEqual([
    ['requestTrip', undefined],
    ['flight', 'reserve'],
    ['hotel', 'reserve'],
    ['car', 'reserve'],
    ['chargeTraveller', undefined],
    ['issueItinerary', undefined],
  ]);
  expect(view.steps.find((s) => s.name === 'chargeTraveller')?.pivot).toBe(true);

  // The supplier's and the gateway's books.
  expect(await travelLedgerOf(app.db.pool, tripId)).toEqual({ tripId, reserved: { flight: 1, hotel: 1, car: 1 }, cancelled: none, itineraries: 1 });
  expect(await paymentLedgerOf(app.db.pool, tripId)).toMatchObject({
    authorizations: { count: 1, amount: 120_000 },
    captures: { count: 1, amount: 120_000 },
    openAuthorizations: 0,
  });

  // The trip's own story, and what the saga returned.
  const state = await trip(tripId);
  expect(state).toMatchObject({ status: 'booked', charge: { amount: 120_000 }, itinerary: { reference: expect.stringMatching(/^ITN\d{6}$/) } });
  expect(Object.keys(state.items).sort()).toEqual([...BRANCHES].sort());
  const events = await sagaEvents(sagaId);
  expect(events.at(-1)).toMatchObject({
    type: 'SagaCompleted',
    data: { output: { tripId, reference: state.itinerary.reference, confirmations: [expect.stringMatching(/^FL/), expect.stringMatching(/^HT/), expect.stringMatching(/^CR/)] } },
  });
  expect(events.find((e) => e.type === 'ParallelStarted')?.data).toEqual({ group: 'reserve', branches: BRANCHES });
});

test('a car sold out releases the flight and the hotel, charges nothing and cancels the trip', async () => {
  // The flight is slow: still in flight when the car is refused, released once it lands, and undone first (it finished last).
  const sagaId = await book({ flight: flight(TravelScenarios.SLOW), car: car(TravelScenarios.SOLD_OUT) });
  const { view, tripId } = await ended(sagaId, 'COMPENSATED');
  expect(view.steps.find((s) => s.name === 'car')).toMatchObject({ status: 'failed', group: 'reserve', error: { code: 'SOLD_OUT', transient: false } });
  expect(view.steps.map((s) => s.name)).not.toContain('chargeTraveller');
  expect(view.compensationReason).toMatch(/^car failed: .*XXX/);

  // Released in the supplier's books, never charged.
  expect(await travelLedgerOf(app.db.pool, tripId)).toEqual({
    tripId,
    reserved: { flight: 1, hotel: 1, car: 0 },
    cancelled: { flight: 1, hotel: 1, car: 0 },
    itineraries: 0,
  });
  expect(await paymentLedgerOf(app.db.pool, tripId)).toMatchObject({ authorizations: { count: 0 }, captures: { count: 0 } });
  expect(await trip(tripId)).toMatchObject({ status: 'cancelled', cancelReason: expect.stringContaining('car failed') });

  // Undone latest completion first, the trip last; the car held nothing to undo.
  const undone = (await sagaEvents(sagaId)).filter((e) => e.type === 'CompensationSucceeded').map((e) => e.data as { compensation: string; nothingToUndo: boolean });
  expect(undone.filter((u) => !u.nothingToUndo).map((u) => u.compensation)).toEqual(['cancelFlight', 'cancelHotel', 'cancelTrip']);
  expect(undone.find((u) => u.compensation === 'cancelCar')).toMatchObject({ nothingToUndo: true });
});

test('a declined card at the pivot releases all three and charges nothing', async () => {
  const { view, tripId } = await ended(await book({ payment: { token: 'tok_declined' } }), 'COMPENSATED');
  expect(view.steps.find((s) => s.name === 'chargeTraveller')?.error?.code).toBe('CARD_DECLINED');
  expect(await travelLedgerOf(app.db.pool, tripId)).toMatchObject({ reserved: { flight: 1, hotel: 1, car: 1 }, cancelled: { flight: 1, hotel: 1, car: 1 } });
  expect(await paymentLedgerOf(app.db.pool, tripId)).toMatchObject({ captures: { count: 0 }, openAuthorizations: 0 });
});

test('a flaky hotel supplier is retried and the trip is booked', async () => {
  const { view, tripId } = await ended(await book({ hotel: hotel(TravelScenarios.FLAKY) }), 'COMPLETED');
  expect(view.steps.find((s) => s.name === 'hotel')).toMatchObject({ status: 'succeeded', attempts: 3 });
  expect((await travelLedgerOf(app.db.pool, tripId)).reserved.hotel).toBe(1);
});

test('an itinerary that cannot be issued after the charge only goes forward: parked, then retried by an operator', async () => {
  await setSwitch(app.db.pool, 'itinerary_outage', true);
  const sagaId = await book();
  const { view: failed, tripId } = await ended(sagaId, 'FAILED');
  expect(failed.failure).toMatchObject({ step: 'issueItinerary', error: { code: 'ITINERARY_SERVICE_DOWN', transient: true } });
  // Nothing undone past the pivot: still held, charged once.
  expect(failed.compensations.every((c) => c.status === 'registered')).toBe(true);
  expect(await travelLedgerOf(app.db.pool, tripId)).toMatchObject({ reserved: { flight: 1, hotel: 1, car: 1 }, cancelled: none, itineraries: 0 });
  expect(await paymentLedgerOf(app.db.pool, tripId)).toMatchObject({ captures: { count: 1 } });
  const cancel = await http(app, 'POST', `/sagas/${sagaId}/cancel`, { token: true, body: { actor: 'ops', reason: 'traveller called' } });
  expect(cancel.status).toBe(409);

  await setSwitch(app.db.pool, 'itinerary_outage', false);
  expect((await http(app, 'POST', `/sagas/${sagaId}/retry`, { token: true, body: { actor: 'ops', reason: 'itinerary service is back' } })).status).toBe(202);
  await app.engine.waitFor(sagaId, ['COMPLETED']);
  expect(await travelLedgerOf(app.db.pool, tripId)).toMatchObject({ cancelled: none, itineraries: 1 });
  expect(await paymentLedgerOf(app.db.pool, tripId)).toMatchObject({ captures: { count: 1 } });
  expect(await trip(tripId)).toMatchObject({ status: 'booked' });
});

describe('input', () => {
  test('each parse makes a new trip id', () => {
    const a = TravelBookingInput.parse(travelBody());
    const b = TravelBookingInput.parse(travelBody());
    expect(a.tripId).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.tripId).not.toBe(b.tripId);
  });

  test('POST /sagas/travel-booking refuses bad choices and a client-chosen trip id with 400 naming each field; nothing starts', async () => {
    const body = travelBody({ hotel: { ...hotel(), checkOut: '2030-04-01' }, car: car('jfk') });
    const res = await http(app, 'POST', '/sagas/travel-booking', { body, headers: { 'idempotency-key': 'trip-bad-dates' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['car.pickUp', 'hotel.checkOut']);
    const chosen = await http(app, 'POST', '/sagas/travel-booking', { body: travelBody({ tripId: 'someone-elses-trip' }), headers: { 'idempotency-key': 'trip-chosen-id' } });
    expect(chosen.status).toBe(400);
    expect(chosen.body.errors.map((e: { field: string }) => e.field)).toEqual(['tripId']);
    expect(await app.engine.view('trip-bad-dates')).toBeUndefined();
    expect(await app.engine.view('trip-chosen-id')).toBeUndefined();
  });
});
