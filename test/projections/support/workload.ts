import { http, orderBody, type TestApp } from '../../support/app';
import type { Random } from './random';

export interface Workload {
  sagaIds: string[];
  orderIds: string[];
  /** Global position each write returned, for read-your-writes. */
  positions: number[];
}

const TOKENS = ['tok_visa', 'tok_visa', 'tok_visa', 'tok_declined', 'tok_flaky'] as const;

export async function addStock(app: TestApp, sku: string, quantity: number): Promise<number> {
  const res = await http(app, 'POST', `/inventory/${sku}/stock`, { body: { quantity }, token: true });
  if (res.status !== 200) throw new Error(`stock ${sku}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.position;
}

/**
 * Orders over a few SKUs with random lines, cards (some declined, some flaky)
 * and addresses (some the carrier refuses), stock added in between: sagas that
 * complete and sagas that compensate, all through the HTTP API.
 */
export async function placeRandomOrders(app: TestApp, rng: Random, skus: string[], orders: number): Promise<Workload> {
  const workload: Workload = { sagaIds: [], orderIds: [], positions: [] };
  for (let i = 0; i < orders; i++) {
    if (rng.chance(0.3)) workload.positions.push(await addStock(app, rng.pick(skus), rng.int(1, 4)));
    const lineSkus = [...new Set([rng.pick(skus), rng.pick(skus)])].slice(0, rng.int(1, 2));
    const body = orderBody({
      customerId: `cust-${rng.int(1, 3)}`,
      items: lineSkus.map((sku) => ({ sku, quantity: rng.int(1, 3), unitPrice: rng.int(50, 500) })),
      payment: { token: rng.pick(TOKENS) },
      shippingAddress: { ...orderBody().shippingAddress, country: rng.chance(0.15) ? 'XX' : 'DE' },
    });
    const res = await http(app, 'POST', '/orders', { body });
    if (res.status !== 202) throw new Error(`order: ${res.status} ${JSON.stringify(res.body)}`);
    workload.sagaIds.push(res.body.sagaId);
    workload.orderIds.push(res.body.orderId);
    workload.positions.push(res.body.position);
  }
  return workload;
}

export async function settle(app: TestApp, sagaIds: string[]): Promise<void> {
  await Promise.all(sagaIds.map((id) => app.engine.waitFor(id, ['COMPLETED', 'COMPENSATED'], 20_000)));
}
