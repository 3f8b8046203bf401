import { tripDecider, tripStreamId, type TripCommand } from '../../domain/trip';
import type { CommandTarget } from '../../eventstore';
import type { Providers, Reservation, ReservationKind } from '../../providers';
import type { StepDefinition } from '../../saga/definition';
import type { Privacy } from '../../privacy/privacy';
import type { StoredTravelBookingInput } from './input';

/**
 * The steps of a travel booking and their undos. Each calls the supplier or
 * the gateway with the step's idempotency key and records what it did on the
 * trip's stream; each undo first checks the trip holds something to undo.
 */
export function travelActivities(providers: Providers, privacy: Privacy, input: StoredTravelBookingInput) {
  const { tripId, travellerId, amount, currency } = input;
  const trip = tripStreamId(tripId);
  const onTrip = (command: TripCommand): CommandTarget[] => [{ decider: tripDecider, streamId: trip, command }];

  const requestTrip: StepDefinition = {
    commands: () => onTrip({ type: 'RequestTrip', travellerId, amount, currency }),
    compensation: { name: 'cancelTrip', commands: ({ reason }) => onTrip({ type: 'CancelTrip', reason: reason ?? 'compensated' }) },
  };

  const reserve = (kind: ReservationKind, undo: string, call: (idempotencyKey: string) => Promise<Reservation>): StepDefinition<Reservation> => ({
    call: ({ idempotencyKey }) => call(idempotencyKey),
    commands: ({ result: { reservationId, confirmation } }) => onTrip({ type: 'RecordTripItem', kind, reservationId, confirmation }),
    compensation: {
      name: undo,
      call: async (ctx) => {
        const state = await ctx.load(tripDecider, trip);
        const held = state.status === 'none' ? undefined : state.items[kind];
        if (!held || held.released) return undefined;
        await providers.travel.cancel({ idempotencyKey: ctx.idempotencyKey, reservationId: held.reservationId });
        return held;
      },
      commands: ({ result, reason }) => (result ? onTrip({ type: 'ReleaseTripItem', kind, reason: reason ?? 'compensated' }) : []),
    },
  });
  const ids = { tripId, travellerId };
  const { travel, payments } = providers;
  const reserveFlight = reserve('flight', 'cancelFlight', (idempotencyKey) => travel.reserveFlight({ ...ids, idempotencyKey, flight: input.flight }));
  const reserveHotel = reserve('hotel', 'cancelHotel', (idempotencyKey) => travel.reserveHotel({ ...ids, idempotencyKey, hotel: input.hotel }));
  const reserveCar = reserve('car', 'cancelCar', (idempotencyKey) => travel.reserveCar({ ...ids, idempotencyKey, car: input.car }));

  // The point of no return: the traveller pays. The gateway keys idempotency per
  // operation, so the authorization and its capture share the step's key: a
  // retry or a replay after a crash gets both recorded answers and charges once.
  const chargeTraveller: StepDefinition<{ authorizationId: string; captureId: string }> = {
    pivot: true,
    call: async ({ idempotencyKey }) => {
      const token = await privacy.cardToken(travellerId, input.payment.cardRef);
      const { authorizationId } = await payments.authorize({ idempotencyKey, orderId: tripId, amount, currency, token });
      const { captureId } = await payments.capture({ idempotencyKey, authorizationId, amount });
      return { authorizationId, captureId };
    },
    commands: ({ result }) => onTrip({ type: 'RecordCharge', ...result, amount }),
  };

  const issueItinerary = (held: Record<ReservationKind, Reservation>): StepDefinition<{ itineraryId: string; reference: string }> => ({
    call: ({ idempotencyKey }) =>
      travel.issueItinerary({ ...ids, idempotencyKey, reservationIds: [held.flight, held.hotel, held.car].map((r) => r.reservationId) }),
    commands: ({ result }) => onTrip({ type: 'RecordItinerary', ...result }),
  });

  return { requestTrip, reserveFlight, reserveHotel, reserveCar, chargeTraveller, issueItinerary };
}
