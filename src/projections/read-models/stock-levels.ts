import { inventoryDecider, inventoryView, type InventoryEvent, type InventoryState } from '../../domain';
import type { Queryable } from '../../eventstore';
import { documentProjection, liveVersionOf } from '../projection';

export const STOCK_LEVELS = 'stock-levels';

export interface StockLevel {
  sku: string;
  onHand: number;
  reserved: number;
  available: number;
  updatedAt: string;
}

interface StockState {
  inventory: InventoryState;
  updatedAt: string;
}

export const stockLevelsProjection = documentProjection<StockState>({
  name: STOCK_LEVELS,
  rulesVersion: 1,
  table: 'rm_stock_levels',
  keyColumn: 'sku',
  categories: ['inventory'],
  // The inventory decider's own evolve: the read model cannot disagree with
  // the rules that reserve stock.
  evolve: (state, event) => ({
    inventory: inventoryDecider.evolve(state?.inventory ?? inventoryDecider.initialState(), {
      type: event.type,
      data: event.data,
    } as InventoryEvent),
    updatedAt: event.recordedAt.toISOString(),
  }),
  columns: { on_hand: 'bigint', reserved: 'bigint', available: 'bigint', updated_at: 'timestamptz' },
  toColumns(state) {
    const view = inventoryView(state.inventory);
    return { on_hand: view.onHand, reserved: view.reserved, available: view.available, updated_at: state.updatedAt };
  },
});

/** By SKU. */
export async function listStockLevels(db: Queryable, limit = 1000): Promise<StockLevel[]> {
  const { rows } = await db.query<{ sku: string; on_hand: number; reserved: number; available: number; updated_at: Date }>(
    `SELECT sku, on_hand, reserved, available, updated_at FROM rm_stock_levels
      WHERE version = ${liveVersionOf(STOCK_LEVELS)} ORDER BY sku LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({ sku: r.sku, onHand: r.on_hand, reserved: r.reserved, available: r.available, updatedAt: r.updated_at.toISOString() }));
}
