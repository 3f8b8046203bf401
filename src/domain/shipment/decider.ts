import type { Decider } from '../../eventstore/decider';
import { DomainError } from '../../eventstore/decider';
import { parseCommand, streamIdIn } from '../shared';
import { ShipmentCommand, type RecordBooking } from './commands';
import { ShipmentBooked, ShipmentCancelled, type ShipmentEvent } from './events';

type Booking = ShipmentBooked['data'];

/** The booking is kept after cancellation: the carrier still knows it by that id. */
export type ShipmentState =
  | { status: 'none' }
  | { status: 'booked'; booking: Booking }
  | { status: 'cancelled'; booking: Booking; reason: string };
export type ShipmentStatus = ShipmentState['status'];

export const shipmentStreamId = streamIdIn('shipment');

const sameBooking = (a: Booking, b: RecordBooking) =>
  a.bookingId === b.bookingId && a.carrier === b.carrier && a.trackingNumber === b.trackingNumber;

function book(c: RecordBooking, s: ShipmentState): ShipmentEvent[] {
  if (s.status === 'none') {
    return [ShipmentBooked({ bookingId: c.bookingId, carrier: c.carrier, trackingNumber: c.trackingNumber })];
  }
  if (sameBooking(s.booking, c)) return [];
  // A second, different booking would ship the order twice.
  const details = { bookingId: s.booking.bookingId, attempted: c.bookingId };
  if (s.status === 'cancelled') {
    throw new DomainError('SHIPMENT_CANCELLED', `shipment ${s.booking.bookingId} was cancelled`, details);
  }
  throw new DomainError('SHIPMENT_ALREADY_BOOKED', `shipment already booked as ${s.booking.bookingId}`, details);
}

function decide(command: ShipmentCommand, state: ShipmentState): ShipmentEvent[] {
  const c = parseCommand(ShipmentCommand, command);
  switch (c.type) {
    case 'RecordBooking':
      return book(c, state);
    case 'CancelShipment':
      // Compensations tolerate "nothing to undo".
      return state.status === 'booked' ? [ShipmentCancelled({ reason: c.reason })] : [];
  }
}

function evolve(state: ShipmentState, event: ShipmentEvent): ShipmentState {
  switch (event.type) {
    case 'ShipmentBooked':
      return { status: 'booked', booking: event.data };
    case 'ShipmentCancelled':
      return state.status === 'booked' ? { ...state, status: 'cancelled', reason: event.data.reason } : state;
    default:
      return state;
  }
}

export const shipmentDecider: Decider<ShipmentState, ShipmentCommand, ShipmentEvent> = {
  name: 'shipment',
  version: 1,
  category: 'shipment',
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};

export interface ShipmentView {
  status: ShipmentStatus;
  trackingNumber?: string;
  carrier?: string;
  bookingId?: string;
}

export function shipmentView(state: ShipmentState): ShipmentView {
  if (state.status === 'none') return { status: 'none' };
  const { trackingNumber, carrier, bookingId } = state.booking;
  return { status: state.status, trackingNumber, carrier, bookingId };
}
