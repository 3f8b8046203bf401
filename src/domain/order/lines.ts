import { z } from 'zod';
import { MAX_SHIPMENT_ITEMS } from '../../providers/carrier';
import { Money, Quantity, Sku } from '../shared';

export const OrderItem = z.object({ sku: Sku, quantity: Quantity, unitPrice: Money });
export type OrderItem = z.infer<typeof OrderItem>;

/** One booking carries every line, so an order has at most as many lines as the carrier takes. */
export const MAX_ORDER_LINES = MAX_SHIPMENT_ITEMS;

export const linesTotal = (items: readonly Pick<OrderItem, 'quantity' | 'unitPrice'>[]) =>
  items.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0);

export interface LineProblem {
  code: 'DUPLICATE_SKU' | 'ORDER_TOTAL_NOT_POSITIVE' | 'ORDER_TOTAL_TOO_LARGE';
  /** Where in the order it is, for the edge's error list. */
  path: (string | number)[];
  message: string;
  details: Record<string, unknown>;
}

/**
 * The rules an order's lines obey as a whole, in one place: the decider raises
 * them as domain errors, the edge (OrderLines) as field errors, so the two can
 * never disagree.
 * - distinct SKUs: reservations are keyed by (sku, order), so a second line of
 *   one SKU would be an idempotent no-op and under-reserve;
 * - a positive total: the gateway cannot authorize nothing;
 * - a total within Number.MAX_SAFE_INTEGER: beyond it sums are no longer exact.
 */
export function lineProblems(items: readonly OrderItem[]): LineProblem[] {
  const problems: LineProblem[] = [];
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.sku)) {
      problems.push({ code: 'DUPLICATE_SKU', path: [i, 'sku'], message: `sku ${item.sku} appears on more than one line`, details: { sku: item.sku } });
    }
    seen.add(item.sku);
  });
  const total = linesTotal(items);
  if (!Number.isSafeInteger(total)) {
    problems.push({ code: 'ORDER_TOTAL_TOO_LARGE', path: [], message: 'the order total is too large', details: { total } });
  } else if (total <= 0) {
    problems.push({ code: 'ORDER_TOTAL_NOT_POSITIVE', path: [], message: 'the order total must be above zero', details: { total } });
  }
  return problems;
}

/** An order's lines as the edge takes them: each line valid, and the whole obeying lineProblems. */
export const OrderLines = z
  .array(OrderItem)
  .min(1)
  .max(MAX_ORDER_LINES)
  .superRefine((items, ctx) => {
    // The whole is judged once every line is valid; a bad line is reported as itself.
    if (items.length === 0 || !items.every((item) => OrderItem.safeParse(item).success)) return;
    for (const p of lineProblems(items)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
  });
