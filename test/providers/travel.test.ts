import {
  createSimulators,
  FLAKY_TRAVEL_FAILURES,
  setSwitch,
  travelCallsOf,
  travelLedgerOf,
  TravelSimulator,
  type TravelSupplier,
} from '../../src/providers';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { until } from '../support/until';
import { car, flight, hotel, rejectionOf, tripIds, uniqueKey } from './fixtures';

let db: TestDatabase;
let travel: TravelSupplier;

beforeAll(async () => {
  db = await createTestDatabase('travel');
  travel = createSimulators(db.pool).travel;
});
afterEach(() => setSwitch(db.pool, 'itinerary_outage', false));
afterAll(() => db.drop());

const noneByKind = { flight: 0, hotel: 0, car: 0 };

describe('reserve', () => {
  test('a flight, a hotel and a car, each with its own confirmation number', async () => {
    const trip = tripIds();
    const reservations = [
      await travel.reserveFlight({ ...trip, idempotencyKey: uniqueKey('f'), flight: flight() }),
      await travel.reserveHotel({ ...trip, idempotencyKey: uniqueKey('h'), hotel: hotel() }),
      await travel.reserveCar({ ...trip, idempotencyKey: uniqueKey('c'), car: car() }),
    ];
    expect(reservations).toEqual([
      { reservationId: expect.stringMatching(/^rsv_/), kind: 'flight', confirmation: expect.stringMatching(/^FL\d{6}$/) },
      { reservationId: expect.stringMatching(/^rsv_/), kind: 'hotel', confirmation: expect.stringMatching(/^HT\d{6}$/) },
      { reservationId: expect.stringMatching(/^rsv_/), kind: 'car', confirmation: expect.stringMatching(/^CR\d{6}$/) },
    ]);
    expect(await travelLedgerOf(db.pool, trip.tripId)).toEqual({
      tripId: trip.tripId,
      reserved: { flight: 1, hotel: 1, car: 1 },
      cancelled: noneByKind,
      itineraries: 0,
    });
  });

  test('a repeated key returns the same reservation, also from a new instance and raced, and reserves once', async () => {
    const request = { ...tripIds(), idempotencyKey: uniqueKey('f'), flight: flight() };
    const first = await travel.reserveFlight(request);
    expect(await new TravelSimulator(db.pool).reserveFlight(request)).toEqual(first);
    const raced = await Promise.all(Array.from({ length: 8 }, () => new TravelSimulator(db.pool).reserveFlight(request)));
    expect(raced).toEqual(raced.map(() => first));
    expect((await travelLedgerOf(db.pool, request.tripId)).reserved.flight).toBe(1);
  });

  test('the same key for another request: IDEMPOTENCY_KEY_REUSED', async () => {
    const request = { ...tripIds(), idempotencyKey: uniqueKey('h'), hotel: hotel() };
    await travel.reserveHotel(request);
    const err = await rejectionOf(travel.reserveHotel({ ...request, hotel: hotel('PAR') }));
    expect(err).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', transient: false, provider: 'travel' });
  });

  test('at a sold-out location (XXX): SOLD_OUT, a business failure recorded under the key; nothing reserved', async () => {
    const request = { ...tripIds(), idempotencyKey: uniqueKey('c'), car: car('XXX') };
    for (let i = 0; i < 2; i++) {
      await expect(travel.reserveCar(request)).rejects.toMatchObject({ name: 'ProviderError', code: 'SOLD_OUT', transient: false, provider: 'travel' });
    }
    expect((await travelLedgerOf(db.pool, request.tripId)).reserved).toEqual(noneByKind);
  });

  test('at a flaky location (XFL): SUPPLIER_TIMEOUT per key until the third call, counted across instances', async () => {
    expect(FLAKY_TRAVEL_FAILURES).toBe(2);
    const request = { ...tripIds(), idempotencyKey: uniqueKey('h'), hotel: hotel('XFL') };
    await expect(travel.reserveHotel(request)).rejects.toMatchObject({ code: 'SUPPLIER_TIMEOUT', transient: true });
    await expect(new TravelSimulator(db.pool).reserveHotel(request)).rejects.toMatchObject({ code: 'SUPPLIER_TIMEOUT', transient: true });
    const reserved = await travel.reserveHotel(request);
    expect(await travel.reserveHotel(request)).toEqual(reserved);
    expect(await travelCallsOf(db.pool, request.tripId)).toEqual({ 'reserve-hotel': 4 });
    expect((await travelLedgerOf(db.pool, request.tripId)).reserved.hotel).toBe(1);
  });

  test('at a slow location (XSL): the call is on the books as arrived while it waits, and reserves after the delay', async () => {
    const slow = new TravelSimulator(db.pool, { slowMs: 400 });
    const request = { ...tripIds(), idempotencyKey: uniqueKey('f'), flight: flight('XSL') };
    const pending = slow.reserveFlight(request);
    await until('the call to arrive', async () => (await travelCallsOf(db.pool, request.tripId))['reserve-flight'] === 1);
    expect((await travelLedgerOf(db.pool, request.tripId)).reserved.flight).toBe(0);
    expect(await pending).toMatchObject({ kind: 'flight' });
    expect((await travelLedgerOf(db.pool, request.tripId)).reserved.flight).toBe(1);
  });

  test('a malformed request: INVALID_REQUEST naming the field; nothing is counted', async () => {
    const trip = tripIds();
    const err = await rejectionOf(travel.reserveHotel({ ...trip, idempotencyKey: uniqueKey('h'), hotel: { ...hotel(), checkOut: '2030-04-30' } }));
    expect(err).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('hotel.checkOut') });
    await expect(travel.reserveFlight({ ...trip, idempotencyKey: uniqueKey('f'), flight: flight('jfk') })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(await travelCallsOf(db.pool, trip.tripId)).toEqual({});
  });
});

describe('cancel', () => {
  test('of an unknown reservation: RESERVATION_NOT_FOUND', async () => {
    const err = await rejectionOf(travel.cancel({ idempotencyKey: uniqueKey('x'), reservationId: 'rsv_nope' }));
    expect(err).toMatchObject({ code: 'RESERVATION_NOT_FOUND', transient: false, provider: 'travel' });
  });

  test('twice, with the same or a new key, is fine and cancels once', async () => {
    const trip = tripIds();
    const { reservationId } = await travel.reserveCar({ ...trip, idempotencyKey: uniqueKey('c'), car: car() });
    const cancel = { idempotencyKey: uniqueKey('x'), reservationId };
    expect(await travel.cancel(cancel)).toEqual({ cancelled: true });
    expect(await travel.cancel(cancel)).toEqual({ cancelled: true });
    expect(await travel.cancel({ idempotencyKey: uniqueKey('x'), reservationId })).toEqual({ cancelled: true });
    expect(await travelLedgerOf(db.pool, trip.tripId)).toMatchObject({ reserved: { ...noneByKind, car: 1 }, cancelled: { ...noneByKind, car: 1 } });
  });
});

describe('issueItinerary', () => {
  const reserveAll = async (trip: ReturnType<typeof tripIds>) => [
    (await travel.reserveFlight({ ...trip, idempotencyKey: uniqueKey('f'), flight: flight() })).reservationId,
    (await travel.reserveHotel({ ...trip, idempotencyKey: uniqueKey('h'), hotel: hotel() })).reservationId,
  ];

  test('issues one itinerary per key over the trip’s reservations', async () => {
    const trip = tripIds();
    const request = { ...trip, idempotencyKey: uniqueKey('i'), reservationIds: await reserveAll(trip) };
    const itinerary = await travel.issueItinerary(request);
    expect(itinerary).toEqual({ itineraryId: expect.stringMatching(/^itn_/), reference: expect.stringMatching(/^ITN\d{6}$/) });
    expect(await travel.issueItinerary(request)).toEqual(itinerary);
    expect((await travelLedgerOf(db.pool, trip.tripId)).itineraries).toBe(1);
  });

  test('over a cancelled reservation or another trip’s: RESERVATION_NOT_ACTIVE, nothing issued', async () => {
    const trip = tripIds();
    const [flightId, hotelId] = await reserveAll(trip);
    await travel.cancel({ idempotencyKey: uniqueKey('x'), reservationId: hotelId });
    const cancelled = await rejectionOf(travel.issueItinerary({ ...trip, idempotencyKey: uniqueKey('i'), reservationIds: [flightId, hotelId] }));
    expect(cancelled).toMatchObject({ code: 'RESERVATION_NOT_ACTIVE', transient: false, message: expect.stringContaining(hotelId) });
    const other = tripIds();
    const foreign = await rejectionOf(travel.issueItinerary({ ...other, idempotencyKey: uniqueKey('i'), reservationIds: [flightId] }));
    expect(foreign).toMatchObject({ code: 'RESERVATION_NOT_ACTIVE' });
    expect((await travelLedgerOf(db.pool, trip.tripId)).itineraries).toBe(0);
  });

  test('while itinerary_outage is on: ITINERARY_SERVICE_DOWN (transient), then the same key issues it', async () => {
    const trip = tripIds();
    const request = { ...trip, idempotencyKey: uniqueKey('i'), reservationIds: await reserveAll(trip) };
    await setSwitch(db.pool, 'itinerary_outage', true);
    await expect(travel.issueItinerary(request)).rejects.toMatchObject({ code: 'ITINERARY_SERVICE_DOWN', transient: true });
    expect((await travelLedgerOf(db.pool, trip.tripId)).itineraries).toBe(0);
    await setSwitch(db.pool, 'itinerary_outage', false);
    expect(await travel.issueItinerary(request)).toMatchObject({ reference: expect.stringMatching(/^ITN/) });
    expect(await travelCallsOf(db.pool, trip.tripId)).toMatchObject({ issueItinerary: 2 });
  });
});
