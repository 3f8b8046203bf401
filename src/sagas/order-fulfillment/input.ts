import { z } from 'zod';
import { ShippingAddress } from '../../domain/order/events';
import { linesTotal, OrderLines } from '../../domain/order/lines';
import { Currency, Id } from '../../domain/shared';
import type { Privacy } from '../../privacy/privacy';
import { CardRef, Sealed } from '../../privacy/sealed';
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

/**
 * The input as the saga runs on it and as it is stored (DBOS's workflow
 * input, SagaStarted, saga_requests): the address sealed with the customer's
 * key, the card token in the vault. Checked in clear first (above).
 */
export const SealedOrderInput = OrderFulfillmentInput.extend({
  payment: z.object({ cardRef: CardRef }),
  shippingAddress: Sealed,
}).refine((input) => input.shippingAddress.subject === input.customerId, {
  path: ['shippingAddress'],
  message: "sealed with another customer's key",
});
export type SealedOrderInput = z.infer<typeof SealedOrderInput>;

/** Seals the personal data of an input; an input that is sealed already is returned as it is. */
export async function sealOrderInput(privacy: Privacy, input: unknown): Promise<SealedOrderInput> {
  const sealed = SealedOrderInput.safeParse(input);
  if (sealed.success) return sealed.data;
  const clear = OrderFulfillmentInput.parse(input);
  return {
    ...clear,
    payment: { cardRef: await privacy.vaultCard(clear.customerId, clear.payment.token) },
    shippingAddress: await privacy.seal(clear.customerId, clear.shippingAddress),
  };
}

export const orderTotal = (input: Pick<OrderFulfillmentInput, 'items'>) => linesTotal(input.items);
