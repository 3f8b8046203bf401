import {
  inventoryDecider,
  inventoryStreamId,
  orderDecider,
  orderStreamId,
  paymentDecider,
  paymentStreamId,
  paymentView,
  shipmentDecider,
  shipmentStreamId,
  shipmentView,
} from '../../domain';
import type { Privacy } from '../../privacy/privacy';
import { ShippingAddress, type Providers } from '../../providers';
import type { StepDefinition } from '../../saga/definition';
import { orderTotal, type SealedOrderInput } from './input';

/**
 * The steps of order fulfillment and their undos. A step commits domain
 * commands, or calls a provider (with the step's idempotency key) and commits
 * what the provider did. Every undo first checks there is something to undo.
 *
 * Personal data is opened only inside the calls that hand it to a provider,
 * never recorded: a forgotten customer's order fails there as a business
 * failure (CUSTOMER_FORGOTTEN) and compensates.
 */
export function orderActivities(providers: Providers, privacy: Privacy, input: SealedOrderInput) {
  const { orderId, customerId } = input;
  const order = orderStreamId(orderId);
  const payment = paymentStreamId(orderId);
  const shipment = shipmentStreamId(orderId);
  const lines = input.items.map((line) => ({ ...line, stream: inventoryStreamId(line.sku) }));
  const total = orderTotal(input);

  const placeOrder: StepDefinition = {
    commands: (ctx) => [
      {
        decider: orderDecider,
        streamId: order,
        command: {
          type: 'PlaceOrder',
          orderId,
          customerId: input.customerId,
          currency: input.currency,
          items: input.items,
          shippingAddress: input.shippingAddress,
          sagaId: ctx.sagaId,
        },
      },
    ],
    compensation: {
      name: 'rejectOrder',
      // Rejecting an order that was never placed decides nothing: nothing to undo.
      commands: (ctx) => [{ decider: orderDecider, streamId: order, command: { type: 'RejectOrder', reason: ctx.reason ?? 'compensated' } }],
    },
  };

  // All lines in one transaction: either every line is reserved or none is.
  const reserveStock: StepDefinition = {
    commands: () =>
      lines.map((l) => ({
        decider: inventoryDecider,
        streamId: l.stream,
        command: { type: 'ReserveStock', orderId, quantity: l.quantity, sku: l.sku },
      })),
    compensation: {
      name: 'releaseStock',
      // Releasing what was never reserved decides no events: nothing to undo.
      commands: () => lines.map((l) => ({ decider: inventoryDecider, streamId: l.stream, command: { type: 'ReleaseReservation', orderId } })),
    },
  };

  const authorizePayment: StepDefinition<{ authorizationId: string }> = {
    call: async (ctx) =>
      providers.payments.authorize({
        idempotencyKey: ctx.idempotencyKey,
        orderId,
        amount: total,
        currency: input.currency,
        token: await privacy.cardToken(customerId, input.payment.cardRef),
      }),
    commands: ({ result }) => [
      {
        decider: paymentDecider,
        streamId: payment,
        command: { type: 'RecordAuthorization', authorizationId: result.authorizationId, amount: total, currency: input.currency },
      },
    ],
    compensation: {
      name: 'voidAuthorization',
      call: async (ctx) => {
        const state = paymentView(await ctx.load(paymentDecider, payment));
        if (state.status !== 'authorized' || !state.authorizationId) return undefined;
        const { authorizationId } = state;
        await providers.payments.void({ idempotencyKey: ctx.idempotencyKey, authorizationId });
        return { authorizationId };
      },
      commands: ({ result, reason }) =>
        result
          ? [{ decider: paymentDecider, streamId: payment, command: { type: 'RecordVoid', authorizationId: result.authorizationId, reason: reason ?? 'compensated' } }]
          : [],
    },
  };

  const bookShipment: StepDefinition<{ bookingId: string; trackingNumber: string }> = {
    call: async (ctx) =>
      providers.carrier.book({
        idempotencyKey: ctx.idempotencyKey,
        orderId,
        address: await privacy.open(input.shippingAddress, ShippingAddress),
        items: input.items.map(({ sku, quantity }) => ({ sku, quantity })),
      }),
    commands: ({ result }) => [{ decider: shipmentDecider, streamId: shipment, command: { type: 'RecordBooking', ...result } }],
    compensation: {
      name: 'cancelShipment',
      call: async (ctx) => {
        const state = shipmentView(await ctx.load(shipmentDecider, shipment));
        if (state.status !== 'booked' || !state.bookingId) return undefined;
        return providers.carrier.cancel({ idempotencyKey: ctx.idempotencyKey, bookingId: state.bookingId });
      },
      commands: ({ result, reason }) =>
        result ? [{ decider: shipmentDecider, streamId: shipment, command: { type: 'CancelShipment', reason: reason ?? 'compensated' } }] : [],
    },
  };

  // The point of no return: money is taken. Kept late so most failures can still be undone.
  const capturePayment: StepDefinition<{ captureId: string; authorizationId: string }> = {
    pivot: true,
    call: async (ctx) => {
      const { authorizationId } = paymentView(await ctx.load(paymentDecider, payment));
      if (!authorizationId) throw new Error('capture without a recorded authorization');
      const { captureId } = await providers.payments.capture({ idempotencyKey: ctx.idempotencyKey, authorizationId, amount: total });
      return { captureId, authorizationId };
    },
    commands: ({ result }) => [
      {
        decider: paymentDecider,
        streamId: payment,
        command: { type: 'RecordCapture', authorizationId: result.authorizationId, captureId: result.captureId, amount: total },
      },
    ],
  };

  // Confirming the order and committing its reservations is one fact.
  const confirmOrder: StepDefinition = {
    commands: () => [
      { decider: orderDecider, streamId: order, command: { type: 'ConfirmOrder' } },
      ...lines.map((l) => ({ decider: inventoryDecider, streamId: l.stream, command: { type: 'CommitReservation', orderId } })),
    ],
  };

  return { placeOrder, reserveStock, authorizePayment, bookShipment, capturePayment, confirmOrder, total };
}
