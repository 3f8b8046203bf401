import { z } from 'zod';

/** The shipping carrier as the saga sees it. Every call carries an idempotency key. */

const idempotencyKey = z.string().min(1).max(200);

export const ShippingAddress = z.object({
  name: z.string().min(1).max(200),
  line1: z.string().min(1).max(200),
  city: z.string().min(1).max(100),
  postalCode: z.string().min(1).max(20),
  country: z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code such as DE'),
});
export type ShippingAddress = z.infer<typeof ShippingAddress>;

export const ShipmentItem = z.object({
  sku: z.string().min(1).max(100),
  quantity: z.number().int().positive(),
});
export type ShipmentItem = z.infer<typeof ShipmentItem>;

export const BookRequest = z.object({
  idempotencyKey,
  orderId: z.string().min(1).max(200),
  address: ShippingAddress,
  items: z.array(ShipmentItem).min(1),
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
