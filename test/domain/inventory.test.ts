import {
  ReservationCommitted,
  ReservationReleased,
  StockAdded,
  StockReserved,
  StockRestocked,
  inventoryDecider,
  inventoryStreamId,
  inventoryView,
} from '../../src/domain/inventory';
import { spec } from '../support/decider-spec';

const inventory = spec(inventoryDecider);
const added = StockAdded({ quantity: 10 });
const reservedA = StockReserved({ orderId: 'a', quantity: 4 });

describe('inventory', () => {
  it('lives in inventory-<sku> streams', () => {
    expect(inventoryStreamId('SKU-1')).toBe('inventory-SKU-1');
    expect(inventoryDecider.category).toBe('inventory');
  });

  it('starts empty', () => {
    inventory.given([]).andView(inventoryView, { onHand: 0, reserved: 0, available: 0 });
  });

  describe('AddStock', () => {
    it('adds to what is on hand', () => {
      inventory
        .given([added])
        .when({ type: 'AddStock', quantity: 5 })
        .then([StockAdded({ quantity: 5 })])
        .andView(inventoryView, { onHand: 15, reserved: 0, available: 15 });
    });

    it.each([0, -1, 1.5])('refuses a quantity of %s', (quantity) => {
      inventory.when({ type: 'AddStock', quantity }).thenThrows('INVALID_COMMAND');
    });
  });

  describe('ReserveStock', () => {
    it('reserves available stock for an order', () => {
      inventory
        .given([added])
        .when({ type: 'ReserveStock', orderId: 'a', quantity: 4 })
        .then([reservedA])
        .andView(inventoryView, { onHand: 10, reserved: 4, available: 6 })
        .andState((s) => expect(s.reservations).toEqual({ a: 4 }));
    });

    it('may reserve exactly what is available', () => {
      inventory
        .given([added, reservedA])
        .when({ type: 'ReserveStock', orderId: 'b', quantity: 6 })
        .then([StockReserved({ orderId: 'b', quantity: 6 })])
        .andView(inventoryView, { onHand: 10, reserved: 10, available: 0 });
    });

    it('never reserves more than is available', () => {
      inventory
        .given([added, reservedA])
        .when({ type: 'ReserveStock', orderId: 'b', quantity: 7, sku: 'apple' })
        .thenThrows('INSUFFICIENT_STOCK', { sku: 'apple', requested: 7, available: 6 });
    });

    it('reports no sku when the command does not name one', () => {
      const err = inventory.when({ type: 'ReserveStock', orderId: 'b', quantity: 1 }).thenThrows('INSUFFICIENT_STOCK');
      expect(err.details).toEqual({ requested: 1, available: 0 });
    });

    it('is a no-op for an order that already holds a reservation, even with no stock left', () => {
      inventory
        .given([StockAdded({ quantity: 4 }), reservedA])
        .when({ type: 'ReserveStock', orderId: 'a', quantity: 4 })
        .thenNothing()
        .andView(inventoryView, { onHand: 4, reserved: 4, available: 0 });
    });

    it('treats order ids that look like Object.prototype keys as plain ids', () => {
      inventory
        .given([added])
        .when({ type: 'ReserveStock', orderId: 'constructor', quantity: 1 })
        .then([StockReserved({ orderId: 'constructor', quantity: 1 })]);
      inventory
        .given([added, StockReserved({ orderId: '__proto__', quantity: 2 })])
        .when({ type: 'ReleaseReservation', orderId: '__proto__' })
        .then([ReservationReleased({ orderId: '__proto__', quantity: 2 })])
        .andView(inventoryView, { onHand: 10, reserved: 0, available: 10 });
    });
  });

  describe('ReleaseReservation', () => {
    it('gives the reserved quantity back', () => {
      inventory
        .given([added, reservedA])
        .when({ type: 'ReleaseReservation', orderId: 'a' })
        .then([ReservationReleased({ orderId: 'a', quantity: 4 })])
        .andView(inventoryView, { onHand: 10, reserved: 0, available: 10 })
        .andState((s) => expect(s.reservations).toEqual({}));
    });

    it('is a no-op when the order holds no reservation (nothing to undo)', () => {
      inventory.given([added]).when({ type: 'ReleaseReservation', orderId: 'a' }).thenNothing();
    });

    it('is a no-op when released twice', () => {
      inventory
        .given([added, reservedA, ReservationReleased({ orderId: 'a', quantity: 4 })])
        .when({ type: 'ReleaseReservation', orderId: 'a' })
        .thenNothing();
    });

    it('is a no-op after the reservation was committed', () => {
      inventory
        .given([added, reservedA, ReservationCommitted({ orderId: 'a', quantity: 4 })])
        .when({ type: 'ReleaseReservation', orderId: 'a' })
        .thenNothing()
        .andView(inventoryView, { onHand: 6, reserved: 0, available: 6 });
    });
  });

  describe('CommitReservation', () => {
    it('takes the reserved quantity out of both on-hand and reserved', () => {
      inventory
        .given([added, reservedA, StockReserved({ orderId: 'b', quantity: 1 })])
        .when({ type: 'CommitReservation', orderId: 'a' })
        .then([ReservationCommitted({ orderId: 'a', quantity: 4 })])
        .andView(inventoryView, { onHand: 6, reserved: 1, available: 5 })
        .andState((s) => expect(s.reservations).toEqual({ b: 1 }));
    });

    it('is a no-op when the order holds no reservation', () => {
      inventory.given([added]).when({ type: 'CommitReservation', orderId: 'a' }).thenNothing();
    });

    it('is a no-op when committed twice', () => {
      inventory
        .given([added, reservedA, ReservationCommitted({ orderId: 'a', quantity: 4 })])
        .when({ type: 'CommitReservation', orderId: 'a' })
        .thenNothing();
    });
  });

  describe('RestockReturn', () => {
    const committed = [added, reservedA, ReservationCommitted({ orderId: 'a', quantity: 4 })];

    it('puts returned goods back on hand', () => {
      inventory
        .given(committed)
        .when({ type: 'RestockReturn', orderId: 'a', quantity: 4 })
        .then([StockRestocked({ orderId: 'a', quantity: 4 })])
        .andView(inventoryView, { onHand: 10, reserved: 0, available: 10 })
        .andState((s) => expect(s.restocked).toEqual({ a: 4 }));
    });

    it('restocks an order only once', () => {
      inventory
        .given([...committed, StockRestocked({ orderId: 'a', quantity: 4 })])
        .when({ type: 'RestockReturn', orderId: 'a', quantity: 4 })
        .thenNothing();
    });

    it('refuses a non-positive quantity', () => {
      inventory.given(committed).when({ type: 'RestockReturn', orderId: 'a', quantity: 0 }).thenThrows('INVALID_COMMAND');
    });
  });
});
