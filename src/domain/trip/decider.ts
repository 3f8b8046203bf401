import type { Decider } from '../../eventstore/decider';
import { DomainError } from '../../eventstore/decider';
import type { ReservationKind } from '../../providers/travel';
import { parseCommand, streamIdIn } from '../shared';
import { TripCommand, type RecordCharge, type RecordItinerary, type RecordTripItem, type RequestTrip } from './commands';
import {
  TripItemReserved,
  TripItemReleased,
  TravellerCharged,
  TripBooked,
  TripCancelled,
  TripRequested,
  type TripEvent,
} from './events';

export interface HeldItem {
  reservationId: string;
  confirmation: string;
  released: boolean;
}

export type TripState =
  | { status: 'none' }
  | {
      status: 'requested' | 'booked' | 'cancelled';
      request: TripRequested['data'];
      items: Partial<Record<ReservationKind, HeldItem>>;
      charge?: TravellerCharged['data'];
      itinerary?: TripBooked['data'];
      cancelReason?: string;
    };
type Trip = Exclude<TripState, { status: 'none' }>;

export const tripStreamId = streamIdIn('trip');

/*
 * The supplier and the gateway are the source of truth and these commands
 * record what they did, so the same report twice is a no-op, while a
 * different report of a fact already recorded (a second flight, a second
 * charge) is an anomaly that must surface, not be swallowed.
 */

function request(c: RequestTrip, s: TripState): TripEvent[] {
  if (s.status === 'none') return [TripRequested({ travellerId: c.travellerId, amount: c.amount, currency: c.currency })];
  const r = s.request;
  if (r.travellerId === c.travellerId && r.amount === c.amount && r.currency === c.currency) return [];
  throw new DomainError('TRIP_ALREADY_REQUESTED', 'the trip was requested with other details', { travellerId: r.travellerId });
}

function recordItem(c: RecordTripItem, s: Trip): TripEvent[] {
  const held = s.items[c.kind];
  if (!held) return [TripItemReserved({ kind: c.kind, reservationId: c.reservationId, confirmation: c.confirmation })];
  if (held.reservationId === c.reservationId) return [];
  throw new DomainError('RESERVATION_CONFLICT', `the trip already holds ${c.kind} ${held.reservationId}`, {
    reservationId: held.reservationId,
    attempted: c.reservationId,
  });
}

function recordCharge(c: RecordCharge, s: Trip): TripEvent[] {
  if (!s.charge) return [TravellerCharged({ authorizationId: c.authorizationId, captureId: c.captureId, amount: c.amount })];
  if (s.charge.captureId === c.captureId) return [];
  throw new DomainError('TRIP_ALREADY_CHARGED', `the traveller was charged already (${s.charge.captureId})`, {
    captureId: s.charge.captureId,
    attempted: c.captureId,
  });
}

function recordItinerary(c: RecordItinerary, s: Trip): TripEvent[] {
  if (!s.itinerary) return [TripBooked({ itineraryId: c.itineraryId, reference: c.reference })];
  if (s.itinerary.itineraryId === c.itineraryId) return [];
  throw new DomainError('TRIP_ALREADY_BOOKED', `the trip's itinerary is ${s.itinerary.reference}`, { itineraryId: s.itinerary.itineraryId });
}

function decide(command: TripCommand, state: TripState): TripEvent[] {
  const c = parseCommand(TripCommand, command);
  if (c.type === 'RequestTrip') return request(c, state);
  if (state.status === 'none') {
    // Undos tolerate "nothing to undo"; a fact about a trip nobody asked for is a bug.
    if (c.type === 'CancelTrip' || c.type === 'ReleaseTripItem') return [];
    throw new DomainError('TRIP_NOT_REQUESTED', 'no such trip');
  }
  switch (c.type) {
    case 'RecordTripItem':
      return recordItem(c, state);
    case 'ReleaseTripItem': {
      const held = state.items[c.kind];
      return held && !held.released ? [TripItemReleased({ kind: c.kind, reservationId: held.reservationId, reason: c.reason })] : [];
    }
    case 'RecordCharge':
      return recordCharge(c, state);
    case 'RecordItinerary':
      return recordItinerary(c, state);
    case 'CancelTrip':
      // The money is taken: a charged trip goes forward, it is never cancelled.
      if (state.charge) throw new DomainError('TRIP_CHARGED', 'a charged trip cannot be cancelled', { captureId: state.charge.captureId });
      return state.status === 'requested' ? [TripCancelled({ reason: c.reason })] : [];
  }
}

function evolve(state: TripState, event: TripEvent): TripState {
  if (event.type === 'TripRequested') return { status: 'requested', request: event.data, items: {} };
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'TripItemReserved': {
      const { kind, reservationId, confirmation } = event.data;
      return { ...state, items: { ...state.items, [kind]: { reservationId, confirmation, released: false } } };
    }
    case 'TripItemReleased': {
      const held = state.items[event.data.kind];
      return held ? { ...state, items: { ...state.items, [event.data.kind]: { ...held, released: true } } } : state;
    }
    case 'TravellerCharged':
      return { ...state, charge: event.data };
    case 'TripBooked':
      return { ...state, status: 'booked', itinerary: event.data };
    case 'TripCancelled':
      return { ...state, status: 'cancelled', cancelReason: event.data.reason };
  }
}

export const tripDecider: Decider<TripState, TripCommand, TripEvent> = {
  name: 'trip',
  version: 1,
  category: 'trip',
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};

/** The trip as the API shows it: the state is already plain and readable. */
export const tripView = (state: TripState): TripState => state;
