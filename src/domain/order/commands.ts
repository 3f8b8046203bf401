import { z } from 'zod';
import { Sealed } from '../../privacy/sealed';
import { Currency, Id, Reason } from '../shared';
import { OrderItem } from './events';
import { MAX_ORDER_LINES } from './lines';

/**
 * The total is not an input: the decider computes it from the lines. The
 * address is personal data: only a sealed one is taken (the saga's input is
 * sealed before it starts), and nothing here depends on what it says.
 */
export const PlaceOrder = z.object({
  type: z.literal('PlaceOrder'),
  orderId: Id,
  customerId: Id,
  currency: Currency,
  items: z.array(OrderItem).min(1).max(MAX_ORDER_LINES),
  shippingAddress: Sealed,
  sagaId: Id,
});
export const ConfirmOrder = z.object({ type: z.literal('ConfirmOrder') });
export const RejectOrder = z.object({ type: z.literal('RejectOrder'), reason: Reason });
export const CancelOrder = z.object({ type: z.literal('CancelOrder'), reason: Reason });
export const RequestReturn = z.object({ type: z.literal('RequestReturn'), reason: Reason });
export const CompleteReturn = z.object({ type: z.literal('CompleteReturn') });
/** Undoes a return request that cannot go through (the refund was refused): the order is confirmed again. */
export const RejectReturn = z.object({ type: z.literal('RejectReturn'), reason: Reason });

export const OrderCommand = z.discriminatedUnion('type', [
  PlaceOrder,
  ConfirmOrder,
  RejectOrder,
  CancelOrder,
  RequestReturn,
  CompleteReturn,
  RejectReturn,
]);

export type PlaceOrder = z.infer<typeof PlaceOrder>;
export type ConfirmOrder = z.infer<typeof ConfirmOrder>;
export type RejectOrder = z.infer<typeof RejectOrder>;
export type CancelOrder = z.infer<typeof CancelOrder>;
export type RequestReturn = z.infer<typeof RequestReturn>;
export type CompleteReturn = z.infer<typeof CompleteReturn>;
export type RejectReturn = z.infer<typeof RejectReturn>;
export type OrderCommand = z.infer<typeof OrderCommand>;
