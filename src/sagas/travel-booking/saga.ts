import type { Privacy } from '../../privacy/privacy';
import type { Providers } from '../../providers';
import type { SagaDefinition } from '../../saga/definition';
import { travelActivities } from './activities';
import { TravelBookingInput, vaultTravellerCard, type StoredTravelBookingInput } from './input';

/**
 * request the trip → reserve flight, hotel and car at once → charge the
 * traveller (pivot) → issue the itinerary.
 *
 * A refused reservation (a car sold out) or a declined card releases whatever
 * is held, latest first, and cancels the trip. Once the charge may have
 * happened the saga only goes forward: an itinerary that cannot be issued is
 * retried, then parked for an operator.
 */
export function travelBooking(providers: Providers, privacy: Privacy): SagaDefinition<TravelBookingInput, StoredTravelBookingInput> {
  return {
    type: 'travel-booking',
    input: TravelBookingInput,
    // The card goes to the vault before the saga starts: no store of ours or DBOS's holds it.
    protect: (input) => vaultTravellerCard(privacy, input),
    fingerprint: (input, request) => privacy.fingerprint(input.travellerId, request),
    businessKey: (input) => input.tripId,
    async run(saga, input) {
      const steps = travelActivities(providers, privacy, input);
      await saga.step('requestTrip', steps.requestTrip);
      const held = await saga.parallel('reserve', { flight: steps.reserveFlight, hotel: steps.reserveHotel, car: steps.reserveCar });
      await saga.step('chargeTraveller', steps.chargeTraveller);
      const itinerary = await saga.step('issueItinerary', steps.issueItinerary(held));
      return { tripId: input.tripId, ...itinerary, confirmations: [held.flight, held.hotel, held.car].map((r) => r.confirmation) };
    },
  };
}
