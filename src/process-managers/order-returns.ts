import type { OrderReturnInput } from '../sagas/order-return/input';
import { reactionId, type ProcessManager } from './definition';

/**
 * A return request on an order starts the order-return saga, whose id is
 * derived from the request event's id: one saga per request, however often the
 * event is read.
 */
export const orderReturns: ProcessManager = {
  name: 'order-returns',
  eventTypes: ['ReturnRequested'],
  react(event) {
    const orderId = event.streamId.slice(event.streamType.length + 1);
    const { reason } = event.data as { reason: string };
    const input: OrderReturnInput = { orderId, reason };
    return [{ kind: 'startSaga', sagaType: 'order-return', input }];
  },
};

/** The saga a ReturnRequested event starts (the HTTP API tells the client). */
export const returnSagaId = (returnRequestedEventId: string) => reactionId(orderReturns, returnRequestedEventId);
