import { randomUUID } from 'node:crypto';
import { paymentLedgerOf, setSwitch, travelLedgerOf, TravelScenarios } from '../../src/providers';
import { TravelBookingInput } from '../../src/sagas/travel-booking/input';
import { http, startTestApp, type TestApp } from '../support/app';
import { car, hotel, travelBody } from '../support/travel';

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

async function book(overrides: Record<string, unknown> = {}) {
  const input = TravelBookingInput.parse(travelBody(overrides));
  const sagaId = `trip-saga-${randomUUID()}`;
  await app.engine.start('travel-booking', sagaId, input);
  return { sagaId, tripId: input.tripId };
}

/** The trip as GET /aggregates/trip/:id shows it. */
const trip = async (tripId: string) => (await http(app, 'GET', `/aggregates/trip/${tripId}`)).body.state;
const sagaEvents = async (sagaId: string) => app.store.readStream(`saga-${sagaId}`);
const none = { flight: 0, hotel: 0, car: 0 };
const BRANCHES = ['flight', 'hotel', 'car'];

test('books: flight, hotel and car held at once, the traveller charged once, the itinerary issued', async () => {
  const { sagaId, tripId } = await book();
  const view = await app.engine.waitFor(sagaId, ['COMPLETED']);
  expect(view.steps.map((s) => s.name)).toEqual(['requestTrip', ...view.steps.slice(1, 4).map((s) => s.name), 'chargeTraveller', 'issueItinerary']);
  expect(view.steps.slice(1, 4).map((s) => s.name).sort()).toEqual([...BRANCHES].sort());
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
  const completed = (await sagaEvents(sagaId)).at(-1)!;
  expect(completed).toMatchObject({
    type: 'SagaCompleted',
    data: { output: { tripId, reference: expect.stringMatching(/^ITN/), confirmations: [expect.stringMatching(/^FL/), expect.stringMatching(/^HT/), expect.stringMatching(/^CR/)] } },
  });

  // The branches stand apart in the trail: each one's events name the group.
  const branchEvents = (await sagaEvents(sagaId)).filter((e) => e.type === 'StepSucceeded' && BRANCHES.includes((e.data as { step: string }).step));
  expect(branchEvents.map((e) => (e.data as { group?: string }).group)).toEqual(['reserve', 'reserve', 'reserve']);
});

test('a car sold out releases the flight and the hotel, charges nothing and cancels the trip', async () => {
  const { sagaId, tripId } = await book({ car: car(TravelScenarios.SOLD_OUT) });
  const view = await app.engine.waitFor(sagaId, ['COMPENSATED']);
  expect(view.steps.find((s) => s.name === 'car')).toMatchObject({ status: 'failed', error: { code: 'SOLD_OUT', transient: false } });
  expect(view.steps.map((s) => s.name)).not.toContain('chargeTraveller');
  expect(view.compensationReason).toMatch(/^car failed: .*XXX/);

  // Released in the supplier's books, never charged.
  const ledger = await travelLedgerOf(app.db.pool, tripId);
  expect(ledger.reserved).toEqual(ledger.cancelled);
  expect(ledger).toMatchObject({ reserved: { car: 0 }, itineraries: 0 });
  expect(await paymentLedgerOf(app.db.pool, tripId)).toMatchObject({ authorizations: { count: 0 }, captures: { count: 0 } });
  expect(await trip(tripId)).toMatchObject({ status: 'cancelled', cancelReason: expect.stringContaining('car failed') });

  // The car held nothing to undo; what the other branches held is undone, latest completion first, the trip last.
  const undos = Object.fromEntries(view.compensations.map((c) => [c.name, [c.status, c.nothingToUndo]]));
  expect(undos).toMatchObject({ cancelCar: ['succeeded', true], cancelTrip: ['succeeded', false] });
  const events = await sagaEvents(sagaId);
  const succeeded = events.filter((e) => e.type === 'StepSucceeded').map((e) => (e.data as { step: string }).step).filter((s) => BRANCHES.includes(s));
  const undone = events
    .filter((e) => e.type === 'CompensationSucceeded' && !(e.data as { nothingToUndo: boolean }).nothingToUndo)
    .map((e) => (e.data as { step: string }).step);
  expect(undone).toEqual([...[...succeeded].reverse(), 'requestTrip']);
  const failed = events.find((e) => e.type === 'StepFailed' && (e.data as { step: string }).step === 'car')!;
  expect(failed.data).toMatchObject({ group: 'reserve' });
});

test('a declined card at the pivot releases all three and charges nothing', async () => {
  const { sagaId, tripId } = await book({ payment: { token: 'tok_declined' } });
  const view = await app.engine.waitFor(sagaId, ['COMPENSATED']);
  expect(view.steps.find((s) => s.name === 'chargeTraveller')?.error?.code).toBe('CARD_DECLINED');
  expect(await travelLedgerOf(app.db.pool, tripId)).toMatchObject({ reserved: { flight: 1, hotel: 1, car: 1 }, cancelled: { flight: 1, hotel: 1, car: 1 } });
  expect(await paymentLedgerOf(app.db.pool, tripId)).toMatchObject({ captures: { count: 0 }, openAuthorizations: 0 });
});

test('a flaky hotel supplier is retried and the trip is booked', async () => {
  const { sagaId, tripId } = await book({ hotel: hotel(TravelScenarios.FLAKY) });
  const view = await app.engine.waitFor(sagaId, ['COMPLETED']);
  expect(view.steps.find((s) => s.name === 'hotel')).toMatchObject({ status: 'succeeded', attempts: 3 });
  expect((await travelLedgerOf(app.db.pool, tripId)).reserved.hotel).toBe(1);
});

test('an itinerary that cannot be issued after the charge only goes forward: parked, then retried by an operator', async () => {
  await setSwitch(app.db.pool, 'itinerary_outage', true);
  const { sagaId, tripId } = await book();
  const failed = await app.engine.waitFor(sagaId, ['FAILED']);
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
  test('each parse makes a new trip id; a given one is kept', () => {
    const a = TravelBookingInput.parse(travelBody());
    const b = TravelBookingInput.parse(travelBody());
    expect(a.tripId).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.tripId).not.toBe(b.tripId);
    expect(TravelBookingInput.parse(travelBody({ tripId: 'trip-42' })).tripId).toBe('trip-42');
  });

  test('a bad choice is refused naming the field', () => {
    const parsed = TravelBookingInput.safeParse(travelBody({ hotel: { ...hotel(), checkOut: '2030-04-01' }, currency: 'XXX' }));
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['currency', 'hotel.checkOut']);
  });
});
