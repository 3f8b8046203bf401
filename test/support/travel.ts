import type { Pool } from '../../src/db/pool';
import { travelCallsOf, TravelScenarios } from '../../src/providers';

/**
 * Travel bookings for tests: the body a client posts to start one, and what a
 * crash test needs to catch its reservations in flight.
 */
export const flight = (to = 'JFK') => ({ from: 'LHR', to, departOn: '2030-05-01' });
export const hotel = (city = 'NYC') => ({ city, checkIn: '2030-05-01', checkOut: '2030-05-04' });
export const car = (pickUp = 'JFK') => ({ pickUp, pickUpOn: '2030-05-01', dropOffOn: '2030-05-04' });

/** The input of a travel-booking saga, as posted (the trip id is made when it is parsed). */
export const travelBody = (overrides: Record<string, unknown> = {}) => ({
  travellerId: 'traveller-1',
  flight: flight(),
  hotel: hotel(),
  car: car(),
  amount: 120_000,
  currency: 'EUR',
  payment: { token: 'tok_visa' },
  ...overrides,
});

/**
 * Every reservation at the simulator's slow location: each call is on the
 * supplier's books as arrived, then answered after a delay (2 s in the app),
 * so a SIGKILL after `reservationsArrived` lands while the three branches are in flight.
 */
export const slowTravelBody = (overrides: Record<string, unknown> = {}) =>
  travelBody({ flight: flight(TravelScenarios.SLOW), hotel: hotel(TravelScenarios.SLOW), car: car(TravelScenarios.SLOW), ...overrides });

/** How many of the trip's three reservation calls have reached the supplier. */
export async function reservationsArrived(pool: Pool, tripId: string): Promise<number> {
  const calls = await travelCallsOf(pool, tripId);
  return ['reserve-flight', 'reserve-hotel', 'reserve-car'].filter((op) => (calls[op] ?? 0) > 0).length;
}
