import { z } from 'zod';
import { Id, Reason } from '../../domain/shared';

/**
 * What an order-return saga starts from: the order and the customer's reason,
 * taken from the ReturnRequested event. Everything else (lines, capture,
 * amounts) is read from the aggregates by the first step, so the saga acts on
 * what was recorded, not on what a caller claimed.
 */
export const OrderReturnInput = z.object({ orderId: Id, reason: Reason });
export type OrderReturnInput = z.infer<typeof OrderReturnInput>;

/** The first step's output: what the later steps refund and restock. */
export interface ReturnPlan {
  captureId: string;
  amount: number;
  lines: { sku: string; quantity: number }[];
}
