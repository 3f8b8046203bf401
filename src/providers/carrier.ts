import { z } from 'zod';
import { StorableText } from '../db/storable-text';

/** The shipping carrier as the saga sees it. Every call carries an idempotency key. */

const idempotencyKey = z.string().min(1).max(200);

/** What the carrier accepts as an address; an order's address is checked against the same schema. */
export const ShippingAddress = z.object({
  name: StorableText.min(1).max(200),
  line1: StorableText.min(1).max(200),
  city: StorableText.min(1).max(100),
  postalCode: StorableText.min(1).max(20),
  country: z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code such as DE'),
});
export type ShippingAddress = z.infer<typeof ShippingAddress>;

export const ShipmentItem = z.object({
  sku: z.string().min(1).max(100),
  quantity: z.number().int().positive(),
});
export type ShipmentItem = z.infer<typeof ShipmentItem>;

/** Lines one booking can carry. */
export const MAX_SHIPMENT_ITEMS = 100;

export const BookRequest = z.object({
  idempotencyKey,
  orderId: z.string().min(1).max(200),
  address: ShippingAddress,
  items: z.array(ShipmentItem).min(1).max(MAX_SHIPMENT_ITEMS),
});
export type BookRequest = z.infer<typeof BookRequest>;

export const CancelBookingRequest = z.object({ idempotencyKey, bookingId: z.string().min(1).max(200) });
export type CancelBookingRequest = z.infer<typeof CancelBookingRequest>;

export interface BookResult {
  bookingId: string;
  carrier: string;
  trackingNumber: string;
}
export interface CancelBookingResult {
  cancelled: true;
}

export interface Carrier {
  book(r: BookRequest): Promise<BookResult>;
  cancel(r: CancelBookingRequest): Promise<CancelBookingResult>;
}

/** Country code the simulated carrier does not serve. */
export const UNSERVICEABLE_COUNTRY = 'XX';
