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
import type { Providers } from '../../providers';
import type { StepDefinition } from '../../saga/definition';
import { orderTotal, type OrderFulfillmentInput } from './input';

/**
 * The steps of order fulfillment and their undos. Each either commits domain
 * commands or calls a provider (with the step's idempotency key) and records
 * what the provider did. Every undo first checks there is something to undo.
 */
export function orderActivities(providers: Providers, input: OrderFulfillmentInput) {
  const { orderId } = input;
  const order = orderStreamId(orderId);
  const payment = paymentStreamId(orderId);
  const shipment = shipmentStreamId(orderId);
  const lines = input.items.map((line) => ({ ...line, stream: inventoryStreamId(line.sku) }));
  const total = orderTotal(input);

  const placeOrder: StepDefinition = {
    run: async (ctx) => ({
      commands: [
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
    }),
    compensation: {
      name: 'rejectOrder',
      run: async (ctx) => {
        const state = await ctx.load(orderDecider, order);
        if (state.status === 'none') return { nothingToUndo: true };
        return { commands: [{ decider: orderDecider, streamId: order, command: { type: 'RejectOrder', reason: ctx.reason ?? 'compensated' } }] };
      },
    },
  };

  // All lines in one transaction: either every line is reserved or none is.
  const reserveStock: StepDefinition = {
    run: async () => ({
      commands: lines.map((l) => ({
        decider: inventoryDecider,
        streamId: l.stream,
        command: { type: 'ReserveStock', orderId, quantity: l.quantity, sku: l.sku },
      })),
    }),
    compensation: {
      name: 'releaseStock',
      // Releasing what was never reserved decides no events: nothing to undo.
      run: async () => ({
        commands: lines.map((l) => ({ decider: inventoryDecider, streamId: l.stream, command: { type: 'ReleaseReservation', orderId } })),
      }),
    },
  };

  const authorizePayment: StepDefinition<{ authorizationId: string }> = {
    run: async (ctx) => {
      const { authorizationId } = await providers.payments.authorize({
        idempotencyKey: ctx.idempotencyKey,
        orderId,
        amount: total,
        currency: input.currency,
        token: input.payment.token,
      });
      return {
        output: { authorizationId },
        commands: [
          { decider: paymentDecider, streamId: payment, command: { type: 'RecordAuthorization', authorizationId, amount: total, currency: input.currency } },
        ],
      };
    },
    compensation: {
      name: 'voidAuthorization',
      run: async (ctx) => {
        const state = paymentView(await ctx.load(paymentDecider, payment));
        if (state.status !== 'authorized' || !state.authorizationId) return { nothingToUndo: true };
        const { authorizationId } = state;
        await providers.payments.void({ idempotencyKey: ctx.idempotencyKey, authorizationId });
        return {
          commands: [
            { decider: paymentDecider, streamId: payment, command: { type: 'RecordVoid', authorizationId, reason: ctx.reason ?? 'compensated' } },
          ],
        };
      },
    },
  };

  const bookShipment: StepDefinition<{ trackingNumber: string }> = {
    run: async (ctx) => {
      const booking = await providers.carrier.book({
        idempotencyKey: ctx.idempotencyKey,
        orderId,
        address: input.shippingAddress,
        items: input.items.map(({ sku, quantity }) => ({ sku, quantity })),
      });
      return {
        output: { trackingNumber: booking.trackingNumber },
        commands: [{ decider: shipmentDecider, streamId: shipment, command: { type: 'RecordBooking', ...booking } }],
      };
    },
    compensation: {
      name: 'cancelShipment',
      run: async (ctx) => {
        const state = shipmentView(await ctx.load(shipmentDecider, shipment));
        if (state.status !== 'booked' || !state.bookingId) return { nothingToUndo: true };
        await providers.carrier.cancel({ idempotencyKey: ctx.idempotencyKey, bookingId: state.bookingId });
        return { commands: [{ decider: shipmentDecider, streamId: shipment, command: { type: 'CancelShipment', reason: ctx.reason ?? 'compensated' } }] };
      },
    },
  };

  // The point of no return: money is taken. Kept late so most failures can still be undone.
  const capturePayment: StepDefinition<{ captureId: string }> = {
    pivot: true,
    run: async (ctx) => {
      const { authorizationId } = paymentView(await ctx.load(paymentDecider, payment));
      if (!authorizationId) throw new Error('capture without a recorded authorization');
      const { captureId } = await providers.payments.capture({ idempotencyKey: ctx.idempotencyKey, authorizationId, amount: total });
      return {
        output: { captureId },
        commands: [{ decider: paymentDecider, streamId: payment, command: { type: 'RecordCapture', authorizationId, captureId, amount: total } }],
      };
    },
  };

  // Confirming the order and committing its reservations is one fact.
  const confirmOrder: StepDefinition = {
    completes: true,
    run: async () => ({
      commands: [
        { decider: orderDecider, streamId: order, command: { type: 'ConfirmOrder' } },
        ...lines.map((l) => ({ decider: inventoryDecider, streamId: l.stream, command: { type: 'CommitReservation', orderId } })),
      ],
    }),
  };

  return { placeOrder, reserveStock, authorizePayment, bookShipment, capturePayment, confirmOrder, total };
}
