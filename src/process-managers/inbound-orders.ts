import { createHash } from 'node:crypto';
import { z } from 'zod';
import { Id } from '../domain/shared';
import { OrderRequest, type OrderFulfillmentInput } from '../sagas/order-fulfillment/input';
import type { Reaction } from './definition';

/** A message from another service, as the inbound side hands it over. */
export interface InboundMessage {
  /** The message id (`Nats-Msg-Id`, else stream and sequence): the same on every redelivery. */
  id: string;
  subject: string;
  data: unknown;
}

/**
 * A process manager fed by a broker instead of our feed. `react` is pure and
 * throws on a message it can never act on (refused, not retried).
 */
export interface InboundProcessManager {
  readonly name: string;
  react(message: InboundMessage): Reaction[];
}

/** A UUID derived from a string: the same message always names the same order. */
const uuidOf = (text: string) => {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

const InboundOrder = OrderRequest.extend({ orderId: Id.optional() });

/**
 * Another service asks for an order: the body of POST /orders, optionally
 * with its own order id. The saga's id derives from the message id, so a
 * redelivered message starts nothing new.
 */
export const inboundOrders: InboundProcessManager = {
  name: 'inbound-orders',
  react(message) {
    const request = InboundOrder.parse(message.data);
    const input: OrderFulfillmentInput = { ...request, orderId: request.orderId ?? uuidOf(message.id) };
    return [{ kind: 'startSaga', sagaType: 'order-fulfillment', input }];
  },
};

export type InboundOrder = z.input<typeof InboundOrder>;
