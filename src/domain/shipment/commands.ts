import { z } from 'zod';
import { Id, Reason } from '../shared';

export const RecordBooking = z.object({
  type: z.literal('RecordBooking'),
  bookingId: Id,
  carrier: z.string().min(1),
  trackingNumber: z.string().min(1),
});
export const CancelShipment = z.object({ type: z.literal('CancelShipment'), reason: Reason });

export const ShipmentCommand = z.discriminatedUnion('type', [RecordBooking, CancelShipment]);

export type RecordBooking = z.infer<typeof RecordBooking>;
export type CancelShipment = z.infer<typeof CancelShipment>;
export type ShipmentCommand = z.infer<typeof ShipmentCommand>;
