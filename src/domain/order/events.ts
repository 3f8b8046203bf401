import { z } from 'zod';
import { defineEvent, type EventOf } from '../../eventstore/registry';
import { Sealed } from '../../privacy/sealed';
import { ShippingAddress as CarrierAddress } from '../../providers/carrier';
import { Currency, Id, Money, Reason } from '../shared';
import { OrderItem } from './lines';

export { OrderItem } from './lines';

/** The carrier's own schema (name and postal code lengths …): an address it would refuse is refused at the edge. */
export const ShippingAddress = CarrierAddress;
export type ShippingAddress = z.infer<typeof ShippingAddress>;

export const OrderPlaced = defineEvent(
  'OrderPlaced',
  z.object({
    orderId: Id,
    customerId: Id,
    currency: Currency,
    items: z.array(OrderItem).min(1),
    total: Money,
    /**
     * Sealed with the customer's key (PlaceOrder takes nothing else). Events
     * recorded before addresses were sealed hold it in clear and are read as
     * they are: history is never rewritten.
     */
    shippingAddress: z.union([Sealed, ShippingAddress]),
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
