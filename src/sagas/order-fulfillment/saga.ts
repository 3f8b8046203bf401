import type { Privacy } from '../../privacy/privacy';
import type { Providers } from '../../providers';
import type { SagaDefinition } from '../../saga/definition';
import { orderActivities } from './activities';
import { OrderFulfillmentInput, sealOrderInput, type SealedOrderInput } from './input';

export interface OrderFulfillmentOptions {
  /** Orders above this total (minor units) wait for an operator's approval. */
  approvalThreshold: number;
  approvalTimeoutSeconds: number;
}

/**
 * place order → reserve stock → authorize payment → (approval above the
 * threshold) → book shipment → capture payment (pivot) → confirm order.
 *
 * A failure before the capture undoes, in reverse: cancel the shipment, void
 * the authorization, release the reservations, reject the order with the reason.
 *
 * It runs on its input sealed (the address with the customer's key, the card
 * in the vault); only the calls that need them open them, for the provider.
 */
export function orderFulfillment(
  providers: Providers,
  options: OrderFulfillmentOptions,
  privacy: Privacy,
): SagaDefinition<OrderFulfillmentInput, SealedOrderInput> {
  return {
    type: 'order-fulfillment',
    input: OrderFulfillmentInput,
    protect: (input) => sealOrderInput(privacy, input),
    fingerprint: (input, request) => privacy.fingerprint(input.customerId, request),
    businessKey: (input) => input.orderId,
    async run(saga, input) {
      const steps = orderActivities(providers, privacy, input);
      await saga.step('placeOrder', steps.placeOrder);
      await saga.step('reserveStock', steps.reserveStock);
      await saga.step('authorizePayment', steps.authorizePayment);
      if (steps.total > options.approvalThreshold) {
        await saga.awaitApproval(`order total ${steps.total} is above ${options.approvalThreshold}`, options.approvalTimeoutSeconds);
      }
      const { trackingNumber } = await saga.step('bookShipment', steps.bookShipment);
      await saga.step('capturePayment', steps.capturePayment);
      await saga.step('confirmOrder', steps.confirmOrder);
      return { orderId: input.orderId, trackingNumber };
    },
  };
}
