import { z } from 'zod';
import { OrderItem, ShippingAddress } from '../../domain/order/events';
import { Currency, Id } from '../../domain/shared';

/** What an order-fulfillment saga starts from (the HTTP body plus its ids). */
export const OrderRequest = z.object({
  customerId: Id,
  currency: Currency,
  items: z.array(OrderItem).min(1),
  payment: z.object({ token: z.string().min(1) }),
  shippingAddress: ShippingAddress,
});
export type OrderRequest = z.infer<typeof OrderRequest>;

export const OrderFulfillmentInput = OrderRequest.extend({ orderId: Id });
export type OrderFulfillmentInput = z.infer<typeof OrderFulfillmentInput>;

export const orderTotal = (input: Pick<OrderFulfillmentInput, 'items'>) =>
  input.items.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0);
