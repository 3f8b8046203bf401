import { z } from 'zod';
import { Id, Quantity } from '../shared';

export const AddStock = z.object({ type: z.literal('AddStock'), quantity: Quantity });
export const ReserveStock = z.object({
  type: z.literal('ReserveStock'),
  orderId: Id,
  quantity: Quantity,
  /** Only echoed in INSUFFICIENT_STOCK details: the state does not know its own SKU. */
  sku: Id.optional(),
});
export const ReleaseReservation = z.object({ type: z.literal('ReleaseReservation'), orderId: Id });
export const CommitReservation = z.object({ type: z.literal('CommitReservation'), orderId: Id });
export const RestockReturn = z.object({ type: z.literal('RestockReturn'), orderId: Id, quantity: Quantity });

export const InventoryCommand = z.discriminatedUnion('type', [
  AddStock,
  ReserveStock,
  ReleaseReservation,
  CommitReservation,
  RestockReturn,
]);

export type AddStock = z.infer<typeof AddStock>;
export type ReserveStock = z.infer<typeof ReserveStock>;
export type ReleaseReservation = z.infer<typeof ReleaseReservation>;
export type CommitReservation = z.infer<typeof CommitReservation>;
export type RestockReturn = z.infer<typeof RestockReturn>;
export type InventoryCommand = z.infer<typeof InventoryCommand>;
