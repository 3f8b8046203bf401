import type { Decider } from '../../eventstore/decider';
import { DomainError } from '../../eventstore/decider';
import { parseCommand, streamIdIn } from '../shared';
import { OrderCommand, type PlaceOrder } from './commands';
import { lineProblems, linesTotal } from './lines';
import {
  OrderCancelled,
  OrderConfirmed,
  OrderPlaced,
  OrderRejected,
  OrderReturned,
  ReturnRejected,
  ReturnRequested,
  type OrderEvent,
  type OrderItem,
} from './events';

export type OrderStatus = 'none' | 'placed' | 'confirmed' | 'rejected' | 'cancelled' | 'return_requested' | 'returned';

/** Everything after placement keeps the placed order, so the status can never outrun the data. */
export type OrderState =
  | { status: 'none' }
  | {
      status: Exclude<OrderStatus, 'none'>;
      order: OrderPlaced['data'];
      /** Why it was rejected, cancelled or returned. */
      reason: string | null;
    };
type PlacedState = Exclude<OrderState, { status: 'none' }>;

export const orderStreamId = streamIdIn('order');

function place(c: PlaceOrder, state: OrderState): OrderEvent[] {
  if (state.status !== 'none') {
    throw new DomainError('ORDER_ALREADY_PLACED', `order ${state.order.orderId} was already placed`, {
      orderId: state.order.orderId,
      status: state.status,
    });
  }
  // The same rules the edge checks (lines.ts); here they are domain errors.
  const [problem] = lineProblems(c.items);
  if (problem) throw new DomainError(problem.code, problem.message, problem.details);
  const total = linesTotal(c.items);
  return [
    OrderPlaced({
      orderId: c.orderId,
      customerId: c.customerId,
      currency: c.currency,
      items: c.items,
      total,
      shippingAddress: c.shippingAddress,
      sagaId: c.sagaId,
    }),
  ];
}

function placed(state: OrderState): PlacedState {
  if (state.status === 'none') throw new DomainError('ORDER_NOT_FOUND', 'no order has been placed on this stream');
  return state;
}

const isClosed = (s: PlacedState) => s.status === 'rejected' || s.status === 'cancelled';
/** A confirmed order stays confirmed through its return: goods and money moved. */
const wasConfirmed = (s: PlacedState) =>
  s.status === 'confirmed' || s.status === 'return_requested' || s.status === 'returned';

function close(state: OrderState, event: OrderEvent): OrderEvent[] {
  const s = placed(state);
  // Rejected and cancelled are both terminal: a compensation racing a cancel
  // must not fail because the other one won.
  if (isClosed(s)) return [];
  if (wasConfirmed(s)) {
    throw new DomainError('ORDER_ALREADY_CONFIRMED', `order ${s.order.orderId} is confirmed and cannot be closed`, {
      orderId: s.order.orderId,
      status: s.status,
    });
  }
  return [event];
}

function decide(command: OrderCommand, state: OrderState): OrderEvent[] {
  const c = parseCommand(OrderCommand, command);
  switch (c.type) {
    case 'PlaceOrder':
      return place(c, state);
    case 'ConfirmOrder': {
      const s = placed(state);
      if (wasConfirmed(s)) return [];
      if (isClosed(s)) {
        throw new DomainError('ORDER_CLOSED', `order ${s.order.orderId} is ${s.status}`, {
          orderId: s.order.orderId,
          status: s.status,
        });
      }
      return [OrderConfirmed({})];
    }
    case 'RejectOrder':
      // The undo of placing an order: where none was placed there is nothing to undo.
      if (state.status === 'none') return [];
      return close(state, OrderRejected({ reason: c.reason }));
    case 'CancelOrder':
      return close(state, OrderCancelled({ reason: c.reason }));
    case 'RequestReturn': {
      const s = placed(state);
      if (s.status !== 'confirmed') {
        throw new DomainError('RETURN_NOT_ALLOWED', `order ${s.order.orderId} is ${s.status}: only a confirmed order can be returned, once`, {
          orderId: s.order.orderId,
          status: s.status,
        });
      }
      return [ReturnRequested({ reason: c.reason })];
    }
    case 'CompleteReturn': {
      const s = placed(state);
      if (s.status === 'returned') return [];
      if (s.status !== 'return_requested') {
        throw new DomainError('RETURN_NOT_REQUESTED', `order ${s.order.orderId} has no return in progress`, {
          orderId: s.order.orderId,
          status: s.status,
        });
      }
      return [OrderReturned({})];
    }
    case 'RejectReturn': {
      // A compensation: no return in progress means nothing to undo.
      const s = placed(state);
      if (s.status === 'returned') {
        throw new DomainError('RETURN_ALREADY_COMPLETED', `order ${s.order.orderId} was returned: the return cannot be rejected`, {
          orderId: s.order.orderId,
        });
      }
      if (s.status !== 'return_requested') return [];
      return [ReturnRejected({ reason: c.reason })];
    }
  }
}

function evolve(state: OrderState, event: OrderEvent): OrderState {
  if (event.type === 'OrderPlaced') return { status: 'placed', order: event.data, reason: null };
  // decide never emits anything else before OrderPlaced; ignoring keeps reads total.
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'OrderConfirmed':
      return { ...state, status: 'confirmed' };
    case 'OrderRejected':
      return { ...state, status: 'rejected', reason: event.data.reason };
    case 'OrderCancelled':
      return { ...state, status: 'cancelled', reason: event.data.reason };
    case 'ReturnRequested':
      return { ...state, status: 'return_requested', reason: event.data.reason };
    case 'OrderReturned':
      return { ...state, status: 'returned' };
    case 'ReturnRejected':
      // Back to where the request found it; the reason stays in the event.
      return { ...state, status: 'confirmed', reason: null };
    default:
      return state;
  }
}

export const orderDecider: Decider<OrderState, OrderCommand, OrderEvent> = {
  name: 'order',
  version: 1,
  category: 'order',
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};

export interface OrderView {
  status: OrderStatus;
  total: number;
  currency: string | null;
  customerId: string | null;
  items: OrderItem[];
  reason?: string;
}

export function orderView(state: OrderState): OrderView {
  if (state.status === 'none') return { status: 'none', total: 0, currency: null, customerId: null, items: [] };
  const { order, status, reason } = state;
  return {
    status,
    total: order.total,
    currency: order.currency,
    customerId: order.customerId,
    items: order.items,
    ...(reason === null ? {} : { reason }),
  };
}
