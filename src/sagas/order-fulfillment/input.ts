import { z } from 'zod';
import { ShippingAddress } from '../../domain/order/events';
import { linesTotal, OrderLines } from '../../domain/order/lines';
import { Currency, Id } from '../../domain/shared';
import { CardToken } from '../../providers/payment-gateway';

/**
 * What an order-fulfillment saga starts from (the HTTP body plus its ids).
 * Built from the domain's and the providers' own schemas, so every rule a step
 * would apply to the order's shape (ids, currency, lines, total, the carrier's
 * address limits, the gateway's token) refuses the request before anything runs.
 */
export const OrderRequest = z.object({
  customerId: Id,
  currency: Currency,
  items: OrderLines,
  payment: z.object({ token: CardToken }),
  shippingAddress: ShippingAddress,
});
export type OrderRequest = z.infer<typeof OrderRequest>;

export const OrderFulfillmentInput = OrderRequest.extend({ orderId: Id });
export type OrderFulfillmentInput = z.infer<typeof OrderFulfillmentInput>;

export const orderTotal = (input: Pick<OrderFulfillmentInput, 'items'>) => linesTotal(input.items);
