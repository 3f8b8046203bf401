import type { Decider } from '../../eventstore/decider';
import { DomainError } from '../../eventstore/decider';
import { hasKey, parseCommand, streamIdIn, withoutKey } from '../shared';
import { InventoryCommand } from './commands';
import {
  ReservationCommitted,
  ReservationReleased,
  StockAdded,
  StockReserved,
  StockRestocked,
  type InventoryEvent,
} from './events';

/**
 * Stock of one SKU. `onHand` counts units in the warehouse, reserved ones
 * included; `reserved` is always the sum of `reservations`.
 *
 * Committed reservations are forgotten so the snapshot stays the size of the
 * open orders. Restocked order ids are kept (returns are rare) so a return is
 * never counted twice.
 */
export interface InventoryState {
  onHand: number;
  reserved: number;
  reservations: Record<string, number>;
  restocked: Record<string, number>;
}

export const inventoryStreamId = streamIdIn('inventory');

export const available = (s: InventoryState): number => s.onHand - s.reserved;

function decide(command: InventoryCommand, state: InventoryState): InventoryEvent[] {
  const c = parseCommand(InventoryCommand, command);
  switch (c.type) {
    case 'AddStock':
      return [StockAdded({ quantity: c.quantity })];
    case 'ReserveStock': {
      // A re-run that slipped past command ids must not reserve twice nor
      // fail on its own reservation.
      if (hasKey(state.reservations, c.orderId)) return [];
      const free = available(state);
      if (c.quantity > free) {
        throw new DomainError('INSUFFICIENT_STOCK', `requested ${c.quantity}, ${free} available`, {
          ...(c.sku === undefined ? {} : { sku: c.sku }),
          requested: c.quantity,
          available: free,
        });
      }
      return [StockReserved({ orderId: c.orderId, quantity: c.quantity })];
    }
    // Compensations run whether or not the forward step got through, so
    // "nothing to undo" is a success, not an error.
    case 'ReleaseReservation':
      if (!hasKey(state.reservations, c.orderId)) return [];
      return [ReservationReleased({ orderId: c.orderId, quantity: state.reservations[c.orderId] })];
    case 'CommitReservation':
      if (!hasKey(state.reservations, c.orderId)) return [];
      return [ReservationCommitted({ orderId: c.orderId, quantity: state.reservations[c.orderId] })];
    case 'RestockReturn':
      if (hasKey(state.restocked, c.orderId)) return [];
      return [StockRestocked({ orderId: c.orderId, quantity: c.quantity })];
  }
}

function evolve(state: InventoryState, event: InventoryEvent): InventoryState {
  switch (event.type) {
    case 'StockAdded':
      return { ...state, onHand: state.onHand + event.data.quantity };
    case 'StockReserved':
      return {
        ...state,
        reserved: state.reserved + event.data.quantity,
        reservations: { ...state.reservations, [event.data.orderId]: event.data.quantity },
      };
    case 'ReservationReleased':
      return {
        ...state,
        reserved: state.reserved - event.data.quantity,
        reservations: withoutKey(state.reservations, event.data.orderId),
      };
    case 'ReservationCommitted':
      // The goods leave the warehouse: out of both counters.
      return {
        ...state,
        onHand: state.onHand - event.data.quantity,
        reserved: state.reserved - event.data.quantity,
        reservations: withoutKey(state.reservations, event.data.orderId),
      };
    case 'StockRestocked':
      return {
        ...state,
        onHand: state.onHand + event.data.quantity,
        restocked: { ...state.restocked, [event.data.orderId]: event.data.quantity },
      };
    default:
      return state;
  }
}

export const inventoryDecider: Decider<InventoryState, InventoryCommand, InventoryEvent> = {
  name: 'inventory',
  version: 1,
  category: 'inventory',
  initialState: () => ({ onHand: 0, reserved: 0, reservations: {}, restocked: {} }),
  evolve,
  decide,
};

export interface InventoryView {
  onHand: number;
  reserved: number;
  available: number;
}

export function inventoryView(state: InventoryState): InventoryView {
  return { onHand: state.onHand, reserved: state.reserved, available: available(state) };
}
