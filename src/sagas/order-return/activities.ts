import {
  inventoryDecider,
  inventoryStreamId,
  orderDecider,
  orderStreamId,
  paymentDecider,
  paymentStreamId,
} from '../../domain';
import { DomainError } from '../../eventstore/decider';
import type { Providers } from '../../providers';
import type { StepDefinition } from '../../saga/definition';
import type { OrderReturnInput, ReturnPlan } from './input';

/**
 * The steps of an order return and the one undo it has. Each commits domain
 * commands or calls the payment gateway with the step's idempotency key; every
 * command here is idempotent on its own as well (a second RestockReturn of the
 * same order, a second report of the same refund, decide nothing).
 */
export function returnActivities(providers: Providers, input: OrderReturnInput) {
  const { orderId } = input;
  const order = orderStreamId(orderId);
  const payment = paymentStreamId(orderId);

  // Changes nothing: checks the return can go through and fixes what to refund
  // and restock. Its undo is the saga's only one: reject the return request, so
  // the order is confirmed again rather than stuck in "return requested".
  const acceptReturn: StepDefinition<ReturnPlan> = {
    call: async (ctx) => {
      const o = await ctx.load(orderDecider, order);
      if (o.status !== 'return_requested') {
        throw new DomainError('RETURN_NOT_REQUESTED', `order ${orderId} is ${o.status}: no return in progress`, { status: o.status });
      }
      const p = await ctx.load(paymentDecider, payment);
      if (p.status !== 'captured') {
        throw new DomainError('PAYMENT_NOT_CAPTURED', `payment of order ${orderId} is ${p.status}: nothing to refund`, { status: p.status });
      }
      const lines = o.order.items.map(({ sku, quantity }) => ({ sku, quantity }));
      return { captureId: p.capture.captureId, amount: p.capture.amount, lines };
    },
    compensation: {
      name: 'rejectReturn',
      // RejectReturn decides nothing when no return is in progress.
      commands: (ctx) => [{ decider: orderDecider, streamId: order, command: { type: 'RejectReturn', reason: ctx.reason ?? 'compensated' } }],
    },
  };

  // The point of no return: money leaves. The gateway refunds once per
  // idempotency key, and RecordRefund of the same refund id is a no-op.
  const refundPayment = (plan: ReturnPlan): StepDefinition<{ refundId: string }> => ({
    pivot: true,
    call: (ctx) => providers.payments.refund({ idempotencyKey: ctx.idempotencyKey, captureId: plan.captureId, amount: plan.amount }),
    commands: ({ result }) => [
      { decider: paymentDecider, streamId: payment, command: { type: 'RecordRefund', refundId: result.refundId, amount: plan.amount, reason: input.reason } },
    ],
  });

  // All lines in one transaction; RestockReturn is once per (sku, order).
  const restockItems = (plan: ReturnPlan): StepDefinition => ({
    commands: () =>
      plan.lines.map((l) => ({
        decider: inventoryDecider,
        streamId: inventoryStreamId(l.sku),
        command: { type: 'RestockReturn', orderId, quantity: l.quantity },
      })),
  });

  const completeReturn: StepDefinition = {
    commands: () => [{ decider: orderDecider, streamId: order, command: { type: 'CompleteReturn' } }],
  };

  return { acceptReturn, refundPayment, restockItems, completeReturn };
}
