import { z } from 'zod';
import { defineEvent, type EventOf } from '../../eventstore/registry';
import { ReservationKind } from '../../providers/travel';
import { Currency, Id, PositiveMoney, Reason } from '../shared';

// A trip's story (`trip-<tripId>`): what the traveller asked for, what the
// supplier and the gateway did for it, and how it ended.
export const TripRequested = defineEvent('TripRequested', z.object({ travellerId: Id, amount: PositiveMoney, currency: Currency }));
export const TripItemReserved = defineEvent(
  'TripItemReserved',
  z.object({ kind: ReservationKind, reservationId: Id, confirmation: z.string().min(1) }),
);
export const TripItemReleased = defineEvent('TripItemReleased', z.object({ kind: ReservationKind, reservationId: Id, reason: Reason }));
export const TravellerCharged = defineEvent('TravellerCharged', z.object({ authorizationId: Id, captureId: Id, amount: PositiveMoney }));
export const TripBooked = defineEvent('TripBooked', z.object({ itineraryId: Id, reference: z.string().min(1) }));
export const TripCancelled = defineEvent('TripCancelled', z.object({ reason: Reason }));

export const tripEvents = [TripRequested, TripItemReserved, TripItemReleased, TravellerCharged, TripBooked, TripCancelled];

export type TripRequested = EventOf<typeof TripRequested>;
export type TripItemReserved = EventOf<typeof TripItemReserved>;
export type TravellerCharged = EventOf<typeof TravellerCharged>;
export type TripBooked = EventOf<typeof TripBooked>;
export type TripEvent =
  | TripRequested
  | TripItemReserved
  | EventOf<typeof TripItemReleased>
  | TravellerCharged
  | TripBooked
  | EventOf<typeof TripCancelled>;
