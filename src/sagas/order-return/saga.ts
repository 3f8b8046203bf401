import type { Providers } from '../../providers';
import type { SagaDefinition } from '../../saga/definition';
import { returnActivities } from './activities';
import { OrderReturnInput } from './input';

/**
 * accept return → refund payment (pivot) → restock items → complete return.
 *
 * Why this order. The refund is the one step that cannot be undone: the
 * gateway has no "unrefund", and taking money back from a customer is not a
 * compensation anyone wants. So it is the pivot, and it comes first among the
 * effects: before it there is only `acceptReturn`, which changes nothing and
 * holds the saga's one undo (reject the return request, so the order is
 * confirmed again). A refund the gateway refuses (a business failure: the
 * capture was partly refunded elsewhere, say) therefore compensates cleanly:
 * no money moved, no stock moved. Restocking before the refund would need an
 * "unrestock" on that path, which the inventory rightly does not have.
 *
 * After the pivot, restock and completion only go forward: both are
 * idempotent domain commands that cannot fail for a business reason while the
 * return is in progress, so a transient failure is retried and, if it
 * persists, the saga parks as FAILED for an operator's retry, with the money
 * already back with the customer and the books saying so.
 */
export function orderReturn(providers: Providers): SagaDefinition<OrderReturnInput> {
  return {
    type: 'order-return',
    input: OrderReturnInput,
    businessKey: (input) => input.orderId,
    async run(saga, input) {
      const steps = returnActivities(providers, input);
      const plan = await saga.step('acceptReturn', steps.acceptReturn);
      const { refundId } = await saga.step('refundPayment', steps.refundPayment(plan));
      await saga.step('restockItems', steps.restockItems(plan));
      await saga.step('completeReturn', steps.completeReturn);
      return { orderId: input.orderId, refundId, amount: plan.amount };
    },
  };
}
