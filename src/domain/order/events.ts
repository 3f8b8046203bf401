import { z } from 'zod';
import { defineEvent, type EventOf } from '../../eventstore/registry';
import { CountryCode, Currency, Id, Money, Quantity, Reason } from '../shared';

export const OrderItem = z.object({ sku: Id, quantity: Quantity, unitPrice: Money });
export type OrderItem = z.infer<typeof OrderItem>;

export const ShippingAddress = z.object({
  name: z.string().min(1),
  line1: z.string().min(1),
  city: z.string().min(1),
  postalCode: z.string().min(1),
  country: CountryCode,
});
export type ShippingAddress = z.infer<typeof ShippingAddress>;

export const OrderPlaced = defineEvent(
  'OrderPlaced',
  z.object({
    orderId: Id,
    customerId: Id,
    currency: Currency,
    items: z.array(OrderItem).min(1),
    total: Money,
    shippingAddress: ShippingAddress,
    sagaId: Id,
  }),
);
export const OrderConfirmed = defineEvent('OrderConfirmed', z.object({}));
export const OrderRejected = defineEvent('OrderRejected', z.object({ reason: Reason }));
export const OrderCancelled = defineEvent('OrderCancelled', z.object({ reason: Reason }));
export const ReturnRequested = defineEvent('ReturnRequested', z.object({ reason: Reason }));
export const OrderReturned = defineEvent('OrderReturned', z.object({}));
/** The return was refused or undone before any money moved: the order is confirmed again. */
export const ReturnRejected = defineEvent('ReturnRejected', z.object({ reason: Reason }));

export const orderEvents = [OrderPlaced, OrderConfirmed, OrderRejected, OrderCancelled, ReturnRequested, OrderReturned, ReturnRejected];

export type OrderPlaced = EventOf<typeof OrderPlaced>;
export type OrderEvent =
  | OrderPlaced
  | EventOf<typeof OrderConfirmed>
  | EventOf<typeof OrderRejected>
  | EventOf<typeof OrderCancelled>
  | EventOf<typeof ReturnRequested>
  | EventOf<typeof OrderReturned>
  | EventOf<typeof ReturnRejected>;
