import {
  TravellerCharged,
  TripBooked,
  TripCancelled,
  tripDecider,
  TripItemReleased,
  TripItemReserved,
  TripRequested,
  tripStreamId,
  type RecordTripItem,
} from '../../src/domain/trip';
import { spec } from '../support/decider-spec';

const trip = spec(tripDecider);
const requested = TripRequested({ travellerId: 'tr-1', amount: 90000, currency: 'EUR' });
const flight: RecordTripItem = { type: 'RecordTripItem', kind: 'flight', reservationId: 'rsv_f', confirmation: 'FL000001' };
const flightHeld = TripItemReserved({ kind: 'flight', reservationId: 'rsv_f', confirmation: 'FL000001' });
const hotelHeld = TripItemReserved({ kind: 'hotel', reservationId: 'rsv_h', confirmation: 'HT000002' });
const charged = TravellerCharged({ authorizationId: 'auth_1', captureId: 'cap_1', amount: 90000 });
const charge = { type: 'RecordCharge', authorizationId: 'auth_1', captureId: 'cap_1', amount: 90000 } as const;

describe('trip', () => {
  it('lives in trip-<tripId> streams', () => {
    expect(tripStreamId('t-1')).toBe('trip-t-1');
  });

  it('is requested once; the same request again is a no-op, another one is refused', () => {
    const request = { type: 'RequestTrip', travellerId: 'tr-1', amount: 90000, currency: 'EUR' } as const;
    trip.when(request).then([requested]).andState((s) => expect(s).toMatchObject({ status: 'requested', items: {} }));
    trip.given([requested]).when(request).thenNothing();
    trip.given([requested]).when({ ...request, amount: 1 }).thenThrows('TRIP_ALREADY_REQUESTED');
  });

  it('records what the supplier holds for it, once per kind', () => {
    trip
      .given([requested])
      .when(flight)
      .then([flightHeld])
      .andState((s) => expect(s).toMatchObject({ items: { flight: { reservationId: 'rsv_f', confirmation: 'FL000001', released: false } } }));
    trip.given([requested, flightHeld]).when(flight).thenNothing();
    trip.given([requested, flightHeld]).when({ ...flight, reservationId: 'rsv_g' }).thenThrows('RESERVATION_CONFLICT', { reservationId: 'rsv_f', attempted: 'rsv_g' });
  });

  it('refuses facts about a trip nobody requested', () => {
    trip.when(flight).thenThrows('TRIP_NOT_REQUESTED');
  });

  it('releases a held item once; releasing what it does not hold undoes nothing', () => {
    const release = { type: 'ReleaseTripItem', kind: 'flight', reason: 'car sold out' } as const;
    const released = TripItemReleased({ kind: 'flight', reservationId: 'rsv_f', reason: 'car sold out' });
    trip
      .given([requested, flightHeld, hotelHeld])
      .when(release)
      .then([released])
      .andState((s) => expect(s).toMatchObject({ items: { flight: { released: true }, hotel: { released: false } } }));
    trip.given([requested, flightHeld, released]).when(release).thenNothing();
    trip.given([requested]).when(release).thenNothing();
    trip.given([]).when(release).thenNothing();
  });

  it('records the charge once; a second, different capture would be money taken twice', () => {
    trip.given([requested, flightHeld]).when(charge).then([charged]);
    trip.given([requested, charged]).when(charge).thenNothing();
    trip.given([requested, charged]).when({ ...charge, captureId: 'cap_2' }).thenThrows('TRIP_ALREADY_CHARGED', { captureId: 'cap_1' });
  });

  it('is booked by its itinerary', () => {
    const itinerary = { type: 'RecordItinerary', itineraryId: 'itn_1', reference: 'ITN000003' } as const;
    const booked = TripBooked({ itineraryId: 'itn_1', reference: 'ITN000003' });
    trip.given([requested, flightHeld, charged]).when(itinerary).then([booked]).andState((s) => expect(s.status).toBe('booked'));
    trip.given([requested, charged, booked]).when(itinerary).thenNothing();
    trip.given([requested, charged, booked]).when({ ...itinerary, itineraryId: 'itn_2' }).thenThrows('TRIP_ALREADY_BOOKED');
  });

  it('is cancelled with a reason while nothing is charged, and never once it is', () => {
    const cancel = { type: 'CancelTrip', reason: 'car sold out' } as const;
    trip
      .given([requested, flightHeld])
      .when(cancel)
      .then([TripCancelled({ reason: 'car sold out' })])
      .andState((s) => expect(s).toMatchObject({ status: 'cancelled', cancelReason: 'car sold out' }));
    trip.given([requested, TripCancelled({ reason: 'x' })]).when(cancel).thenNothing();
    trip.given([]).when(cancel).thenNothing();
    trip.given([requested, charged]).when(cancel).thenThrows('TRIP_CHARGED', { captureId: 'cap_1' });
  });

  it('refuses malformed commands', () => {
    trip.given([requested]).when({ ...flight, kind: 'boat' as 'car' }).thenThrows('INVALID_COMMAND');
  });
});
