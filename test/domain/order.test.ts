import { randomBytes } from 'node:crypto';
import {
  OrderCancelled,
  OrderConfirmed,
  OrderPlaced,
  OrderRejected,
  OrderReturned,
  ReturnRejected,
  ReturnRequested,
  orderDecider,
  orderStreamId,
  orderView,
  type OrderEvent,
  type PlaceOrder,
} from '../../src/domain/order';
import { sealWith } from '../../src/privacy/sealed';
import { spec } from '../support/decider-spec';

const clearAddress = { name: 'Ada', line1: '1 Main St', city: 'Paris', postalCode: '75001', country: 'FR' };

const place: PlaceOrder = {
  type: 'PlaceOrder',
  orderId: 'o-1',
  customerId: 'c-1',
  currency: 'EUR',
  items: [
    { sku: 'apple', quantity: 3, unitPrice: 125 },
    { sku: 'pear', quantity: 1, unitPrice: 1000 },
  ],
  // Sealed (with a throwaway key): the decider never reads it.
  shippingAddress: sealWith(randomBytes(32), 'c-1', clearAddress),
  sagaId: 's-1',
};
const { type: _type, ...placedData } = place;
const placed = OrderPlaced({ ...placedData, total: 1375 });
const confirmed = OrderConfirmed({});
const rejected = OrderRejected({ reason: 'no stock' });
const cancelled = OrderCancelled({ reason: 'customer asked' });
const returnRequested = ReturnRequested({ reason: 'too small' });
const returned = OrderReturned({});

const order = spec(orderDecider);
const history: Record<string, OrderEvent[]> = {
  placed: [placed],
  confirmed: [placed, confirmed],
  rejected: [placed, rejected],
  cancelled: [placed, cancelled],
  return_requested: [placed, confirmed, returnRequested],
  returned: [placed, confirmed, returnRequested, returned],
};

describe('order', () => {
  it('lives in order-<orderId> streams', () => {
    expect(orderStreamId('o-1')).toBe('order-o-1');
    expect(orderDecider.category).toBe('order');
    expect(() => orderStreamId('')).toThrow();
  });

  it('has an empty view before anything happened', () => {
    order.given([]).andView(orderView, { status: 'none', total: 0, currency: null, customerId: null, items: [] });
  });

  describe('PlaceOrder', () => {
    it('places the order with the total computed from its lines', () => {
      order
        .when(place)
        .then([placed])
        .andView(orderView, { status: 'placed', total: 1375, currency: 'EUR', customerId: 'c-1', items: place.items });
    });

    it('ignores a total sent by the caller', () => {
      order.when({ ...place, total: 1 } as PlaceOrder).then([placed]);
    });

    it('places only once', () => {
      order.given([placed]).when(place).thenThrows('ORDER_ALREADY_PLACED', { orderId: 'o-1', status: 'placed' });
      order.given(history.cancelled).when(place).thenThrows('ORDER_ALREADY_PLACED');
    });

    it('refuses two lines of the same SKU, which would under-reserve', () => {
      const items = [...place.items, { sku: 'apple', quantity: 1, unitPrice: 125 }];
      order.when({ ...place, items }).thenThrows('DUPLICATE_SKU', { sku: 'apple' });
    });

    it.each([
      ['no lines', { items: [] }],
      ['a zero quantity', { items: [{ sku: 'apple', quantity: 0, unitPrice: 1 }] }],
      ['a fractional price', { items: [{ sku: 'apple', quantity: 1, unitPrice: 1.5 }] }],
      ['a negative price', { items: [{ sku: 'apple', quantity: 1, unitPrice: -1 }] }],
      ['a lower-case currency', { currency: 'eur' }],
      // The carrier's address rules are checked at the edge, on the clear address (test/http/hostile-input).
      ['an address in clear', { shippingAddress: clearAddress }],
      ['a sealed address of another scheme', { shippingAddress: { ...place.shippingAddress, sealed: 'rot13' } }],
      ['an empty customer id', { customerId: '' }],
      ['a currency outside ISO 4217', { currency: 'XYZ' }],
      ['a SKU with a space', { items: [{ sku: 'an apple', quantity: 1, unitPrice: 1 }] }],
      ['a SKU with a quote', { items: [{ sku: "apple'", quantity: 1, unitPrice: 1 }] }],
      ['a customer id with a NUL', { customerId: 'c\u0000' }],
      ['more lines than one booking carries', { items: Array.from({ length: 101 }, (_, i) => ({ sku: `s${i}`, quantity: 1, unitPrice: 1 })) }],
    ])('rejects a command with %s as INVALID_COMMAND', (_name, patch) => {
      order.when({ ...place, ...patch } as PlaceOrder).thenThrows('INVALID_COMMAND');
    });

    it.each([
      ['a total beyond safe integers', [{ sku: 'apple', quantity: 2 ** 40, unitPrice: 2 ** 40 }], 'ORDER_TOTAL_TOO_LARGE'],
      ['a zero total', [{ sku: 'apple', quantity: 3, unitPrice: 0 }], 'ORDER_TOTAL_NOT_POSITIVE'],
    ])('refuses %s, which the gateway could never charge', (_name, items, code) => {
      order.when({ ...place, items }).thenThrows(code);
    });

    it('rejects an unknown command type as INVALID_COMMAND', () => {
      order.given([placed]).when({ type: 'ShipOrder' } as never).thenThrows('INVALID_COMMAND');
    });
  });

  describe('ConfirmOrder', () => {
    it('confirms a placed order', () => {
      order
        .given([placed])
        .when({ type: 'ConfirmOrder' })
        .then([confirmed])
        .andView(orderView, { status: 'confirmed', total: 1375, currency: 'EUR', customerId: 'c-1', items: place.items });
    });

    it('needs a placed order', () => {
      order.when({ type: 'ConfirmOrder' }).thenThrows('ORDER_NOT_FOUND');
    });

    it.each(['confirmed', 'return_requested', 'returned'])('is a no-op on a %s order', (status) => {
      order.given(history[status]).when({ type: 'ConfirmOrder' }).thenNothing();
    });

    it.each(['rejected', 'cancelled'])('refuses a %s order', (status) => {
      order.given(history[status]).when({ type: 'ConfirmOrder' }).thenThrows('ORDER_CLOSED', { status });
    });
  });

  describe.each([
    ['RejectOrder', 'rejected', OrderRejected] as const,
    ['CancelOrder', 'cancelled', OrderCancelled] as const,
  ])('%s', (type, status, Event) => {
    const command = { type, reason: 'because' };

    it(`closes a placed order as ${status}, with its reason`, () => {
      order
        .given([placed])
        .when(command)
        .then([Event({ reason: 'because' })])
        .andView(orderView, { status, total: 1375, currency: 'EUR', customerId: 'c-1', items: place.items, reason: 'because' });
    });

    if (type === 'RejectOrder') {
      it('decides nothing where no order was placed (the undo of a placement that did not happen)', () => {
        order.when(command).thenNothing();
      });
    } else {
      it('needs a placed order', () => {
        order.when(command).thenThrows('ORDER_NOT_FOUND');
      });
    }

    it.each(['rejected', 'cancelled'])('is a no-op on a %s order', (closed) => {
      order.given(history[closed]).when(command).thenNothing();
    });

    it.each(['confirmed', 'return_requested', 'returned'])('refuses a %s order', (s) => {
      order.given(history[s]).when(command).thenThrows('ORDER_ALREADY_CONFIRMED', { status: s });
    });

    it('needs a reason', () => {
      order.given([placed]).when({ type, reason: '' }).thenThrows('INVALID_COMMAND');
    });
  });

  describe('RequestReturn', () => {
    it('starts a return on a confirmed order', () => {
      order
        .given(history.confirmed)
        .when({ type: 'RequestReturn', reason: 'too small' })
        .then([returnRequested])
        .andView(orderView, {
          status: 'return_requested',
          total: 1375,
          currency: 'EUR',
          customerId: 'c-1',
          items: place.items,
          reason: 'too small',
        });
    });

    it('needs a placed order', () => {
      order.when({ type: 'RequestReturn', reason: 'x' }).thenThrows('ORDER_NOT_FOUND');
    });

    it.each(['placed', 'rejected', 'cancelled', 'return_requested', 'returned'])(
      'is not allowed on a %s order (only once, only when confirmed)',
      (status) => {
        order.given(history[status]).when({ type: 'RequestReturn', reason: 'x' }).thenThrows('RETURN_NOT_ALLOWED', { status });
      },
    );
  });

  describe('CompleteReturn', () => {
    it('completes a requested return', () => {
      order
        .given(history.return_requested)
        .when({ type: 'CompleteReturn' })
        .then([returned])
        .andState((s) => expect(s.status).toBe('returned'))
        .andView(orderView, {
          status: 'returned',
          total: 1375,
          currency: 'EUR',
          customerId: 'c-1',
          items: place.items,
          reason: 'too small',
        });
    });

    it('is a no-op once returned', () => {
      order.given(history.returned).when({ type: 'CompleteReturn' }).thenNothing();
    });

    it('needs a placed order', () => {
      order.when({ type: 'CompleteReturn' }).thenThrows('ORDER_NOT_FOUND');
    });

    it.each(['placed', 'confirmed', 'rejected', 'cancelled'])('needs a requested return, not a %s order', (status) => {
      order.given(history[status]).when({ type: 'CompleteReturn' }).thenThrows('RETURN_NOT_REQUESTED', { status });
    });
  });

  describe('RejectReturn (the compensation of the return saga)', () => {
    it('puts a requested return back to confirmed, so the order can be returned again later', () => {
      order
        .given(history.return_requested)
        .when({ type: 'RejectReturn', reason: 'refund refused' })
        .then([ReturnRejected({ reason: 'refund refused' })])
        .andState((s) => expect(s.status).toBe('confirmed'));
      const again = [...history.return_requested, ReturnRejected({ reason: 'refund refused' })];
      order.given(again).when({ type: 'RequestReturn', reason: 'still too small' }).then([ReturnRequested({ reason: 'still too small' })]);
    });

    it.each(['placed', 'confirmed', 'rejected', 'cancelled'])('finds nothing to undo on a %s order', (status) => {
      order.given(history[status]).when({ type: 'RejectReturn', reason: 'x' }).thenNothing();
    });

    it('cannot undo a completed return', () => {
      order.given(history.returned).when({ type: 'RejectReturn', reason: 'x' }).thenThrows('RETURN_ALREADY_COMPLETED');
    });
  });
});
