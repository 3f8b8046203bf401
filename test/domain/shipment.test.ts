import {
  ShipmentBooked,
  ShipmentCancelled,
  shipmentDecider,
  shipmentStreamId,
  shipmentView,
  type RecordBooking,
} from '../../src/domain/shipment';
import { spec } from '../support/decider-spec';

const shipment = spec(shipmentDecider);
const book: RecordBooking = { type: 'RecordBooking', bookingId: 'b-1', carrier: 'postal', trackingNumber: 'TN-1' };
const booked = ShipmentBooked({ bookingId: 'b-1', carrier: 'postal', trackingNumber: 'TN-1' });
const cancelled = ShipmentCancelled({ reason: 'saga compensated' });

describe('shipment', () => {
  it('lives in shipment-<orderId> streams', () => {
    expect(shipmentStreamId('o-1')).toBe('shipment-o-1');
    expect(shipmentDecider.category).toBe('shipment');
  });

  it('starts with nothing', () => {
    shipment.given([]).andView(shipmentView, { status: 'none' });
  });

  describe('RecordBooking', () => {
    it('records a booking', () => {
      shipment
        .when(book)
        .then([booked])
        .andView(shipmentView, { status: 'booked', trackingNumber: 'TN-1', carrier: 'postal', bookingId: 'b-1' });
    });

    it('is a no-op when the same booking is reported again', () => {
      shipment.given([booked]).when(book).thenNothing();
      shipment.given([booked, cancelled]).when(book).thenNothing();
    });

    it('refuses a second, different booking: the order would ship twice', () => {
      shipment
        .given([booked])
        .when({ ...book, bookingId: 'b-2', trackingNumber: 'TN-2' })
        .thenThrows('SHIPMENT_ALREADY_BOOKED', { bookingId: 'b-1', attempted: 'b-2' });
    });

    it('refuses a new booking after a cancellation', () => {
      shipment
        .given([booked, cancelled])
        .when({ ...book, bookingId: 'b-2' })
        .thenThrows('SHIPMENT_CANCELLED', { bookingId: 'b-1', attempted: 'b-2' });
    });

    it('refuses a booking without a tracking number', () => {
      shipment.when({ ...book, trackingNumber: '' }).thenThrows('INVALID_COMMAND');
    });
  });

  describe('CancelShipment', () => {
    it('cancels a booked shipment and keeps its booking for reference', () => {
      shipment
        .given([booked])
        .when({ type: 'CancelShipment', reason: 'saga compensated' })
        .then([cancelled])
        .andView(shipmentView, { status: 'cancelled', trackingNumber: 'TN-1', carrier: 'postal', bookingId: 'b-1' });
    });

    it('is a no-op when nothing was booked (nothing to undo)', () => {
      shipment.when({ type: 'CancelShipment', reason: 'x' }).thenNothing();
    });

    it('is a no-op when cancelled twice', () => {
      shipment.given([booked, cancelled]).when({ type: 'CancelShipment', reason: 'x' }).thenNothing();
    });
  });
});
