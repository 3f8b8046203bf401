import { z } from 'zod';
import { defineEvent, type EventOf } from '../../eventstore/registry';
import { Id, Reason } from '../shared';

// Facts reported by the carrier, recorded per order (`shipment-<orderId>`).
export const ShipmentBooked = defineEvent(
  'ShipmentBooked',
  z.object({ bookingId: Id, carrier: z.string().min(1), trackingNumber: z.string().min(1) }),
);
export const ShipmentCancelled = defineEvent('ShipmentCancelled', z.object({ reason: Reason }));

export const shipmentEvents = [ShipmentBooked, ShipmentCancelled];

export type ShipmentBooked = EventOf<typeof ShipmentBooked>;
export type ShipmentEvent = ShipmentBooked | EventOf<typeof ShipmentCancelled>;
