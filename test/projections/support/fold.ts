import type { Pool } from '../../../src/db/pool';
import {
  inventoryDecider,
  inventoryView,
  orderDecider,
  paymentDecider,
  shipmentDecider,
} from '../../../src/domain';
import type { Decider, EventStore, RecordedEvent } from '../../../src/eventstore';
import {
  listOrderSummaries,
  listSagaOverviews,
  listStockLevels,
  orderSummaryOf,
  sagaOverviewOf,
  type OrderSummaryState,
} from '../../../src/projections';
import { foldSaga } from '../../../src/saga/state';

/**
 * The test oracle: every read model computed the slow way, by folding each
 * stream from its first event with the aggregates' deciders and the saga fold,
 * independently of the feed order, batching and checkpoints the projections use.
 */
export interface ReadModels {
  orders: unknown[];
  sagas: unknown[];
  stock: unknown[];
}

const byKey = <T>(key: (t: T) => string) => (a: T, b: T) => key(a).localeCompare(key(b));

function fold<S>(decider: Decider<S, any, any>, events: RecordedEvent[] = []): S {
  return events.reduce((s, e) => decider.evolve(s, { type: e.type, data: e.data }), decider.initialState());
}

const lastAt = (...lists: (RecordedEvent[] | undefined)[]) =>
  lists.flatMap((l) => l ?? []).reduce((max, e) => (e.recordedAt.toISOString() > max ? e.recordedAt.toISOString() : max), '');

export async function foldStreams(store: EventStore): Promise<ReadModels> {
  const { rows } = await store.pool.query<{ stream_id: string; stream_type: string }>(
    `SELECT stream_id, stream_type FROM streams WHERE stream_type IN ('order', 'payment', 'shipment', 'inventory', 'saga')`,
  );
  const streams = await store.readStreams(rows.map((r) => r.stream_id));
  const idsOf = (category: string) => rows.filter((r) => r.stream_type === category).map((r) => r.stream_id.slice(category.length + 1));

  const orderIds = new Set([...idsOf('order'), ...idsOf('payment'), ...idsOf('shipment')]);
  const orders = [...orderIds].map((id) => {
    const [o, p, s] = ['order', 'payment', 'shipment'].map((c) => streams.get(`${c}-${id}`));
    const state: OrderSummaryState = {
      order: fold(orderDecider, o),
      payment: fold(paymentDecider, p),
      shipment: fold(shipmentDecider, s),
      updatedAt: lastAt(o, p, s),
    };
    return orderSummaryOf(id, state);
  });
  const sagas = idsOf('saga').flatMap((id) => {
    const view = foldSaga(id, streams.get(`saga-${id}`) ?? []);
    return view ? [JSON.parse(JSON.stringify(sagaOverviewOf(view)))] : [];
  });
  const stock = idsOf('inventory').map((sku) => {
    const events = streams.get(`inventory-${sku}`);
    return { sku, ...inventoryView(fold(inventoryDecider, events)), updatedAt: lastAt(events) };
  });
  return {
    orders: orders.sort(byKey((o) => o.orderId)),
    sagas: sagas.sort(byKey((s: { sagaId: string }) => s.sagaId)),
    stock: stock.sort(byKey((s) => s.sku)),
  };
}

/** What the live versions of the projections hold now. */
export async function readProjections(pool: Pool): Promise<ReadModels> {
  const all = 1_000_000;
  return {
    orders: (await listOrderSummaries(pool, { limit: all })).sort(byKey((o) => o.orderId)),
    sagas: (await listSagaOverviews(pool, { limit: all })).sort(byKey((s) => s.sagaId)),
    stock: (await listStockLevels(pool, all)).sort(byKey((s) => s.sku)),
  };
}
