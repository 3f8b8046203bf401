import { z } from 'zod';
import { defineEvent, type EventOf } from '../../eventstore/registry';
import { Id, Quantity } from '../shared';

// The SKU is the stream id (`inventory-<sku>`), so events do not repeat it.
export const StockAdded = defineEvent('StockAdded', z.object({ quantity: Quantity }));
export const StockReserved = defineEvent('StockReserved', z.object({ orderId: Id, quantity: Quantity }));
export const ReservationReleased = defineEvent('ReservationReleased', z.object({ orderId: Id, quantity: Quantity }));
export const ReservationCommitted = defineEvent('ReservationCommitted', z.object({ orderId: Id, quantity: Quantity }));
/** Returned goods put back on the shelf. */
export const StockRestocked = defineEvent('StockRestocked', z.object({ orderId: Id, quantity: Quantity }));

export const inventoryEvents = [StockAdded, StockReserved, ReservationReleased, ReservationCommitted, StockRestocked];

export type InventoryEvent =
  | EventOf<typeof StockAdded>
  | EventOf<typeof StockReserved>
  | EventOf<typeof ReservationReleased>
  | EventOf<typeof ReservationCommitted>
  | EventOf<typeof StockRestocked>;
